// Turning what the API answers into GeoJSON features with the time window and altitude band in
// their properties, and choosing what is live at an instant within a band.
import { cellsToMultiPolygon } from 'h3-js';
import type { Ceasefire, Entity, Footprint, LonLat, ProtectedSite, Report } from './api';

export type Feature = GeoJSON.Feature<GeoJSON.Geometry, Props>;
export interface Props {
  layer: 'own' | 'other' | 'coarse' | 'zone' | 'prot' | 'prot-line' | 'ceasefire' | 'report';
  id: string;
  label: string;
  t0: number;
  t1: number;
  lo: number;
  hi: number;
  status?: string;
}

const EARTH_R = 6_371_008.8;

/// A geodesic circle as a 64-gon (for drawing only: the server holds the exact circle).
export function circleRing(center: LonLat, radius_m: number, n = 64): LonLat[] {
  const [lon0, lat0] = center.map((d) => (d * Math.PI) / 180);
  const d = radius_m / EARTH_R;
  const ring: LonLat[] = [];
  for (let i = 0; i <= n; i++) {
    const b = (2 * Math.PI * i) / n;
    const lat = Math.asin(Math.sin(lat0) * Math.cos(d) + Math.cos(lat0) * Math.sin(d) * Math.cos(b));
    const lon =
      lon0 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat0), Math.cos(d) - Math.sin(lat0) * Math.sin(lat));
    ring.push([(lon * 180) / Math.PI, (lat * 180) / Math.PI]);
  }
  return ring;
}

export function footprintGeometry(f: Footprint): GeoJSON.Polygon {
  if (f.type === 'circle') return { type: 'Polygon', coordinates: [circleRing(f.center, f.radius_m)] };
  const ring = [...f.vertices];
  const [a, b] = [ring[0], ring[ring.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) ring.push(a);
  return { type: 'Polygon', coordinates: [ring] };
}

const ms = (s: string) => Date.parse(s);

export function entityFeatures(e: Entity, me: string): Feature[] {
  const short = e.id.slice(0, 8);
  const out: Feature[] = [];
  const layer: Props['layer'] =
    e.entity === 'zone' ? 'zone' : e.owner === me ? 'own' : e.disclosure === 'full' ? 'other' : 'coarse';
  const label = `${e.entity} ${short} (${e.owner}${e.state ? `, ${e.state}` : ''}${e.zone_kind ? `, ${e.zone_kind}` : ''})`;
  for (const v of e.volumes ?? []) {
    out.push({
      type: 'Feature',
      geometry: footprintGeometry(v.footprint),
      properties: { layer, id: e.id, label, t0: ms(v.time_start), t1: ms(v.time_end), lo: v.altitude_lower_m, hi: v.altitude_upper_m },
    });
  }
  for (const v of e.coarse_volumes ?? []) {
    out.push({
      type: 'Feature',
      geometry: { type: 'MultiPolygon', coordinates: cellsToMultiPolygon(v.h3_cells, true) as GeoJSON.Position[][][] },
      properties: { layer: e.entity === 'zone' ? 'zone' : 'coarse', id: e.id, label, t0: ms(v.time_start), t1: ms(v.time_end), lo: v.altitude_lower_m, hi: v.altitude_upper_m },
    });
  }
  return out;
}

const ALWAYS = [-8.64e15, 8.64e15];
const ALL_ALT = [-1e6, 1e6];

export function ceasefireFeature(c: Ceasefire): Feature {
  return {
    type: 'Feature',
    geometry: c.area,
    properties: {
      layer: 'ceasefire', id: c.id, label: `${c.name} (${c.status.replace('_', ' ')})`, status: c.status,
      t0: ms(c.window_start), t1: ms(c.window_end), lo: c.altitude_lower_m, hi: c.altitude_upper_m,
    },
  };
}

export function protectedFeatures(p: ProtectedSite): Feature[] {
  const label = `${p.name} (${p.category})`;
  const t0 = p.valid_from ? ms(p.valid_from) : ALWAYS[0];
  const t1 = p.valid_until ? ms(p.valid_until) : ALWAYS[1];
  if (p.kind === 'movement' && p.geometry.type === 'LineString') {
    const windows = p.windows?.length ? p.windows : [{ start: '', end: '' }];
    return windows.map((w) => ({
      type: 'Feature',
      geometry: p.geometry,
      properties: { layer: 'prot-line', id: p.id, label, t0: w.start ? ms(w.start) : t0, t1: w.end ? ms(w.end) : t1, lo: ALL_ALT[0], hi: ALL_ALT[1] },
    }));
  }
  let geometry = p.geometry;
  if (p.geometry.type === 'Point' && p.radius_m) {
    geometry = { type: 'Polygon', coordinates: [circleRing(p.geometry.coordinates as LonLat, p.radius_m)] };
  }
  return [{ type: 'Feature', geometry, properties: { layer: 'prot', id: p.id, label, t0, t1, lo: ALL_ALT[0], hi: ALL_ALT[1] } }];
}

export const REPORT_WINDOW_MS = 24 * 3600 * 1000;

export function reportFeature(r: Report): Feature {
  let point: LonLat;
  if (r.location.type === 'Point') point = r.location.coordinates as LonLat;
  else {
    const ring = r.location.coordinates[0];
    point = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
  }
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: point },
    properties: {
      layer: 'report', id: r.id, label: `${r.category}${r.alleged_party ? ` alleged against ${r.alleged_party}` : ''} (${r.status})`,
      // Shown during the 24 h after its observed start.
      t0: ms(r.observed_start), t1: ms(r.observed_start) + REPORT_WINDOW_MS, lo: ALL_ALT[0], hi: ALL_ALT[1],
    },
  };
}

/// Live at `t` (half-open windows) and within the band [lo, hi] (closed bands overlap).
export function liveAt(f: Feature, t: number, lo: number, hi: number): boolean {
  const p = f.properties;
  return p.t0 <= t && t < p.t1 && p.lo <= hi && lo <= p.hi;
}

export function bbox(coords: unknown): [number, number, number, number] {
  const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0] as number); b[1] = Math.min(b[1], c[1] as number);
      b[2] = Math.max(b[2], c[0] as number); b[3] = Math.max(b[3], c[1] as number);
    } else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(coords);
  return b;
}
