// The map: an offline basemap from Natural Earth (world-atlas, public domain) and the layers of
// the airspace picture. No style, tile, glyph or sprite URL: nothing is fetched from anywhere.
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'world-atlas/countries-50m.json';
import { bbox } from './geo';

maplibregl.setWorkerUrl(workerUrl);

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

export const SOURCES = ['ceasefires', 'zones', 'protected', 'ops', 'reports', 'plan', 'highlight'] as const;

/// Makes a line or ring continuous across the antimeridian (Natural Earth's Russia, Fiji and
/// Antarctica jump from 180° to -180°): each point is moved by ±360° to stay within 180° of the
/// one before. MapLibre draws longitudes beyond ±180° on the next copy of the world.
function unwrap(line: GeoJSON.Position[]): GeoJSON.Position[] {
  let shift = 0;
  return line.map((p, i) => {
    if (i > 0) {
      const d = p[0] - line[i - 1][0];
      if (d > 180) shift -= 360;
      else if (d < -180) shift += 360;
    }
    return [p[0] + shift, p[1]];
  });
}

function unwrapGeometry(g: GeoJSON.Geometry): GeoJSON.Geometry {
  switch (g.type) {
    case 'LineString': return { ...g, coordinates: unwrap(g.coordinates) };
    case 'MultiLineString': return { ...g, coordinates: g.coordinates.map(unwrap) };
    case 'Polygon': return { ...g, coordinates: g.coordinates.map(unwrap) };
    case 'MultiPolygon': return { ...g, coordinates: g.coordinates.map((p) => p.map(unwrap)) };
    default: return g;
  }
}

function basemap() {
  const topo = countries as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const all = feature(topo, topo.objects.countries) as GeoJSON.FeatureCollection;
  // Antarctica's ring runs along the antimeridian and the pole: it is left out.
  const land: GeoJSON.FeatureCollection = {
    type: 'FeatureCollection',
    features: all.features
      .filter((f) => (f.properties as { name?: string } | null)?.name !== 'Antarctica')
      .map((f) => ({ ...f, geometry: unwrapGeometry(f.geometry) })),
  };
  const borders = unwrapGeometry(mesh(topo, topo.objects.countries, (a, b) => a !== b));
  const coast = unwrapGeometry(mesh(topo, topo.objects.countries, (a, b) => a === b));
  return { land, borders, coast };
}

export function createMap(container: HTMLElement): maplibregl.Map {
  const { land, borders, coast } = basemap();
  const map = new maplibregl.Map({
    container,
    center: [37.3, 35.85],
    zoom: 7.4,
    attributionControl: false,
    style: {
      version: 8,
      sources: {
        land: { type: 'geojson', data: land },
        borders: { type: 'geojson', data: borders },
        coast: { type: 'geojson', data: coast },
        ...Object.fromEntries(SOURCES.filter((s) => s !== 'reports').map((s) => [s, { type: 'geojson', data: EMPTY }])),
        reports: { type: 'geojson', data: EMPTY, cluster: true, clusterRadius: 40, clusterMaxZoom: 12 },
      },
      layers: [
        { id: 'sea', type: 'background', paint: { 'background-color': '#c9dbe6' } },
        { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#f2efe6' } },
        { id: 'coast', type: 'line', source: 'coast', paint: { 'line-color': '#6c8a9c', 'line-width': 1 } },
        { id: 'borders', type: 'line', source: 'borders', paint: { 'line-color': '#8a7f73', 'line-width': 1.2, 'line-dasharray': [3, 2] } },
        {
          id: 'ceasefire-fill', type: 'fill', source: 'ceasefires',
          paint: {
            'fill-color': ['match', ['get', 'status'], 'in_force', '#2a9d8f', 'proposed', '#457b9d', 'denounced', '#c1121f', '#8d8d8d'],
            'fill-opacity': 0.12,
          },
        },
        {
          id: 'ceasefire-line', type: 'line', source: 'ceasefires',
          paint: {
            'line-color': ['match', ['get', 'status'], 'in_force', '#1d7067', 'proposed', '#345d78', 'denounced', '#9b0f19', '#6b6b6b'],
            'line-width': 2, 'line-dasharray': [4, 2],
          },
        },
        { id: 'zone-fill', type: 'fill', source: 'zones', paint: { 'fill-color': '#7b2cbf', 'fill-opacity': 0.2 } },
        { id: 'zone-line', type: 'line', source: 'zones', paint: { 'line-color': '#5a189a', 'line-width': 1.5 } },
        { id: 'prot-fill', type: 'fill', source: 'protected', filter: ['==', ['get', 'layer'], 'prot'], paint: { 'fill-color': '#2b9348', 'fill-opacity': 0.45 } },
        { id: 'prot-line', type: 'line', source: 'protected', paint: { 'line-color': '#1b5e20', 'line-width': ['match', ['get', 'layer'], 'prot-line', 4, 1.5] } },
        {
          id: 'ops-fill', type: 'fill', source: 'ops',
          paint: {
            'fill-color': ['match', ['get', 'layer'], 'own', '#1d4ed8', 'other', '#ea580c', '#f59e0b'],
            'fill-opacity': ['match', ['get', 'layer'], 'coarse', 0.25, 0.3],
          },
        },
        {
          id: 'ops-line', type: 'line', source: 'ops',
          paint: { 'line-color': ['match', ['get', 'layer'], 'own', '#1e3a8a', 'other', '#9a3412', '#b45309'], 'line-width': 1.5 },
        },
        { id: 'highlight', type: 'line', source: 'highlight', paint: { 'line-color': '#dc2626', 'line-width': 4 } },
        { id: 'highlight-fill', type: 'fill', source: 'highlight', paint: { 'fill-color': '#dc2626', 'fill-opacity': 0.35 } },
        { id: 'plan-fill', type: 'fill', source: 'plan', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#111827', 'fill-opacity': 0.15 } },
        { id: 'plan-line', type: 'line', source: 'plan', paint: { 'line-color': '#111827', 'line-width': 2, 'line-dasharray': [2, 1] } },
        { id: 'plan-points', type: 'circle', source: 'plan', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#111827' } },
        {
          id: 'report-clusters', type: 'circle', source: 'reports', filter: ['has', 'point_count'],
          paint: { 'circle-color': '#b91c1c', 'circle-radius': ['step', ['get', 'point_count'], 14, 5, 18, 20, 24], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
        },
        {
          id: 'report-points', type: 'circle', source: 'reports', filter: ['!', ['has', 'point_count']],
          paint: { 'circle-color': '#b91c1c', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
        },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({}), 'bottom-left');
  map.addControl(
    new maplibregl.AttributionControl({ compact: true, customAttribution: 'Basemap: Natural Earth (public domain), via world-atlas' }),
    'bottom-right',
  );
  placeLabels(map, land);
  clusterCounts(map);
  return map;
}

/// Country names as HTML labels (MapLibre's own text needs glyphs from a URL), each shown once
/// its country is large enough on screen for the name not to crowd its neighbours.
function placeLabels(map: maplibregl.Map, land: GeoJSON.FeatureCollection): void {
  const labels: { el: HTMLElement; area: number }[] = [];
  const fit = () => {
    // Square degrees to square pixels at this zoom (at the equator; good enough to choose).
    const k = (512 / 360) ** 2 * 4 ** map.getZoom();
    for (const l of labels) l.el.style.visibility = l.area * k > 40000 ? 'visible' : 'hidden';
  };
  map.on('zoomend', fit);
  map.once('load', fit);
  for (const f of land.features) {
    const name = (f.properties as { name?: string } | null)?.name;
    if (!name || !f.geometry) continue;
    // The centre of the largest polygon's box.
    const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : [];
    let best: [number, number, number, number] | null = null;
    let bestArea = 0;
    for (const p of polys) {
      const b = bbox(p);
      const a = (b[2] - b[0]) * (b[3] - b[1]);
      if (a > bestArea) [best, bestArea] = [b, a];
    }
    if (!best || bestArea < 0.5) continue;
    const el = document.createElement('div');
    el.className = 'place';
    el.textContent = name;
    el.setAttribute('aria-hidden', 'true');
    labels.push({ el, area: bestArea });
    new maplibregl.Marker({ element: el }).setLngLat([(best[0] + best[2]) / 2, (best[1] + best[3]) / 2]).addTo(map);
  }
}

/// The count of each report cluster, as an HTML label over its circle.
function clusterCounts(map: maplibregl.Map): void {
  const shown = new Map<number, maplibregl.Marker>();
  const update = () => {
    const seen = new Set<number>();
    for (const f of map.querySourceFeatures('reports')) {
      const p = f.properties as { cluster_id?: number; point_count?: number };
      if (p.cluster_id === undefined || seen.has(p.cluster_id)) continue;
      seen.add(p.cluster_id);
      if (!shown.has(p.cluster_id)) {
        const el = document.createElement('div');
        el.className = 'cluster-count';
        el.textContent = String(p.point_count);
        el.setAttribute('aria-hidden', 'true');
        const c = (f.geometry as GeoJSON.Point).coordinates as [number, number];
        shown.set(p.cluster_id, new maplibregl.Marker({ element: el }).setLngLat(c).addTo(map));
      }
    }
    for (const [id, m] of shown) if (!seen.has(id)) { m.remove(); shown.delete(id); }
  };
  map.on('render', () => { if (map.isSourceLoaded('reports')) update(); });
}

export function setData(map: maplibregl.Map, source: (typeof SOURCES)[number], features: GeoJSON.Feature[]): void {
  const s = map.getSource(source) as maplibregl.GeoJSONSource | undefined;
  s?.setData({ type: 'FeatureCollection', features });
}
