import './style.css';
import type * as maplibregl from 'maplibre-gl';
import { api, ApiError, demoTokens, setToken, tokenParty } from './api';
import type { Ceasefire, Conflict, Entity, LonLat, Notification, VolumeSpec } from './api';
import { renderChart } from './chart';
import {
  bbox, ceasefireFeature, circleRing, entityFeatures, footprintGeometry, liveAt, protectedFeatures, reportFeature,
} from './geo';
import type { Feature } from './geo';
import { follow } from './live';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const STEP_MS = 15 * 60 * 1000;
const NOW_STEP = 192; // the slider runs from 48 h before sign-in to 72 h after, in 15-minute steps
const HOUR = 3600 * 1000;

let me = '';
let map: maplibregl.Map | null = null;
let base = 0; // the slider's "now", on a 15-minute boundary
let stopLive: (() => void) | null = null;
const data = {
  ops: [] as Feature[], zones: [] as Feature[], prot: [] as Feature[], cf: [] as Feature[], reports: [] as Feature[],
  ownOps: [] as Entity[], ceasefires: [] as Ceasefire[], inbox: [] as Notification[],
};

const names = new Map<string, string>(); // protected sites' and ceasefires' names by id
const fmtTime = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const hhmm = (s: string) => new Date(s).toISOString().slice(11, 16);
const short = (id: string) => id.slice(-8);
const toLocalInput = (t: number) => new Date(t).toISOString().slice(0, 16);
const fromLocalInput = (s: string) => Date.parse(`${s}:00Z`);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

// ---------- sign in ----------

async function signIn(token: string): Promise<void> {
  const party = tokenParty(token.trim());
  $('signin-error').textContent = '';
  if (!party) {
    $('signin-error').textContent = 'This is not a bearer token (a JWT of three dot-separated parts).';
    return;
  }
  setToken(token.trim());
  try {
    await api.ceasefires();
  } catch (e) {
    $('signin-error').textContent = e instanceof ApiError ? `Refused: ${e.problem.detail}` : `Failed: ${String(e)}`;
    return;
  }
  sessionStorage.setItem('deconflict-token', token.trim());
  me = party;
  $('who').textContent = `Signed in as ${party}`;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  base = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  $<HTMLInputElement>('time').value = String(NOW_STEP);
  $<HTMLInputElement>('plan-start').value = toLocalInput(base + HOUR);
  $<HTMLInputElement>('plan-end').value = toLocalInput(base + 3 * HOUR);
  if (!map) {
    const { createMap } = await import('./map');
    map = createMap($('map'));
    // For the end-to-end tests (which draw by clicking map coordinates) and the console.
    (window as unknown as { deconflictMap: maplibregl.Map }).deconflictMap = map;
    map.on('click', onMapClick);
    map.on('moveend', () => debounce('area', () => void refreshAirspace(), 300));
    await new Promise<void>((res) => map!.once('load', () => res()));
  }
  await refresh();
  stopLive = follow(() => debounce('live', () => void refresh(), 200), (s) => {
    $('live').textContent = s === 'live' ? '● live' : '○ reconnecting';
    $('live').dataset.state = s;
  });
  // Focus the panels for keyboard users, without scrolling the map out of a phone's view.
  $('panels').focus({ preventScroll: true });
}

function signOut(): void {
  stopLive?.();
  sessionStorage.removeItem('deconflict-token');
  location.reload();
}

const timers = new Map<string, number>();
function debounce(key: string, f: () => void, ms: number): void {
  clearTimeout(timers.get(key));
  timers.set(key, window.setTimeout(f, ms));
}

// ---------- loading ----------

// The API answers queries of at most 100 volumes of at most 2,500 km² each: the view is cut
// into 0.4° tiles (under 2,000 km² anywhere), 100 to a request, up to MAX_QUERIES requests.
const TILE = 0.4;
const MAX_QUERIES = 8;

function viewTiles(): VolumeSpec[][] | null {
  const b = map!.getBounds();
  const snap = (x: number, f: (v: number) => number) => f(x / TILE) * TILE;
  const w = snap(Math.max(-180, b.getWest()), Math.floor), e = snap(Math.min(180, b.getEast()), Math.ceil);
  const s = snap(Math.max(-84, b.getSouth()), Math.floor), n = snap(Math.min(84, b.getNorth()), Math.ceil);
  const cols = Math.round((e - w) / TILE), rows = Math.round((n - s) / TILE);
  if (cols * rows > 100 * MAX_QUERIES) return null;
  const time_start = new Date(base - NOW_STEP * STEP_MS).toISOString();
  const time_end = new Date(base + (480 - NOW_STEP + 1) * STEP_MS).toISOString();
  const vols: VolumeSpec[] = [];
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      const [x0, y0] = [w + i * TILE, s + j * TILE];
      const [x1, y1] = [x0 + TILE, y0 + TILE];
      vols.push({
        footprint: { type: 'polygon', vertices: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] },
        altitude_lower_m: -1000, altitude_upper_m: 100000, time_start, time_end,
      });
    }
  }
  const chunks: VolumeSpec[][] = [];
  for (let k = 0; k < vols.length; k += 100) chunks.push(vols.slice(k, k + 100));
  return chunks;
}

const byId = (es: Entity[]) => [...new Map(es.map((e) => [e.id, e])).values()];

let airspaceSeq = 0; // answers to an older view are dropped

async function refreshAirspace(): Promise<void> {
  const mine = ++airspaceSeq;
  const chunks = viewTiles();
  $('too-wide').hidden = chunks !== null;
  if (chunks === null) {
    data.ops = [];
    data.zones = [];
    data.ownOps = [];
  } else {
    const answers = await Promise.all(chunks.map((c) => Promise.all([api.queryOperations(c), api.queryZones(c)])));
    if (mine !== airspaceSeq) return;
    const ops = byId(answers.flatMap(([o]) => o.operations));
    const zones = byId(answers.flatMap(([, z]) => z.zones));
    data.ops = ops.flatMap((e) => entityFeatures(e, me));
    // Protected sites and ceasefire areas are zones too; they have their own layers (with their
    // windows and status), so the zone layer keeps restricted and separation zones.
    data.zones = zones.filter((e) => e.zone_kind !== 'protected' && e.zone_kind !== 'ceasefire').flatMap((e) => entityFeatures(e, me));
    data.ownOps = ops.filter((e) => e.owner === me);
  }
  render();
  await refreshConflicts();
}

async function refresh(): Promise<void> {
  const reports = async () => {
    const all = [];
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await api.reports(after);
      all.push(...page.reports);
      if (!page.next || page.reports.length === 0) break;
      after = page.next;
    }
    return all;
  };
  const [prot, cfs, reps] = await Promise.all([api.protectedSites(), api.ceasefires(), reports()]);
  const sites = prot.protected_sites;
  data.prot = sites.flatMap(protectedFeatures);
  names.clear();
  for (const x of [...sites, ...cfs.ceasefires]) names.set(x.id, x.name);
  await refreshInbox();
  data.ceasefires = cfs.ceasefires;
  data.cf = cfs.ceasefires.map(ceasefireFeature);
  data.reports = reps.map(reportFeature);
  fillChartSelect();
  await refreshAirspace();
}

// ---------- the picture at time t ----------

function sliderTime(): number {
  return base + (Number($<HTMLInputElement>('time').value) - NOW_STEP) * STEP_MS;
}

function render(): void {
  if (!map) return;
  const t = sliderTime();
  const lo = Number($<HTMLInputElement>('alt-min').value);
  const hi = Number($<HTMLInputElement>('alt-max').value);
  $('time-out').textContent = fmtTime(t);
  $<HTMLInputElement>('time').setAttribute('aria-valuetext', fmtTime(t));
  const live = (fs: Feature[]) => fs.filter((f) => liveAt(f, t, lo, hi));
  const ops = live(data.ops), zones = live(data.zones), prot = live(data.prot), cf = live(data.cf), reps = live(data.reports);
  void import('./map').then(({ setData }) => {
    setData(map!, 'ops', ops);
    setData(map!, 'zones', zones);
    setData(map!, 'protected', prot);
    setData(map!, 'ceasefires', cf);
    setData(map!, 'reports', reps);
  });
  const n = (fs: Feature[]) => new Set(fs.map((f) => f.properties.id)).size;
  const own = n(ops.filter((f) => f.properties.layer === 'own'));
  const k = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const summary = `At ${fmtTime(t)}, ${lo}–${hi} m: ${k(n(ops), 'operation', 'operations')} live (${own} yours), ` +
    `${k(n(zones), 'restricted or separation zone', 'restricted or separation zones')}, ` +
    `${k(n(prot), 'protected site or movement', 'protected sites and movements')}, ${k(n(cf), 'ceasefire area', 'ceasefire areas')}, ` +
    `${k(n(reps), 'violation report', 'violation reports')} in the 24 h before.`;
  $('summary').textContent = summary;
  $('summary').dataset.ops = String(n(ops));
}

// ---------- conflicts ----------

async function refreshConflicts(): Promise<void> {
  const lists = await Promise.all(
    data.ownOps.map(async (op) => ({ op, conflicts: (await api.conflicts(op.id)).conflicts })),
  );
  const ul = $('conflicts');
  const items: HTMLElement[] = [];
  for (const { op, conflicts } of lists) {
    for (const c of conflicts) {
      for (const p of c.pairs) {
        const text = `Your operation ${short(op.id)} meets ${describeOther(c)}: ${hhmm(p.time_start)}–${hhmm(p.time_end)} UTC, ${p.altitude_lower_m}–${p.altitude_upper_m} m`;
        const b = el('button', { type: 'button', className: 'link' }, text);
        b.dataset.conflict = `${op.id}:${c.with.id}`;
        b.setAttribute('aria-label', `Show on the map: ${text}`);
        b.addEventListener('click', () => zoomTo(p.intersection, Date.parse(p.time_start), Date.parse(p.time_end)));
        items.push(el('li', {}, b));
      }
    }
  }
  if (!items.length) items.push(el('li', { className: 'empty' }, 'None of your operations in view has a conflict.'));
  ul.replaceChildren(...items);
}

function describeOther(c: Conflict): string {
  const w = c.with;
  if (c.kind === 'operation' || c.kind === 'zone' || c.kind === 'restricted') {
    return `${c.kind} ${short(w.id)} of ${w.owner}${w.disclosure === 'coarse' ? ' (disclosed coarsely)' : ''}`;
  }
  if (w.disclosure === 'withheld') {
    // A site notified conflict-only: the API gives its category and notifier, never where it is.
    return `protected site (${w.category ?? 'protected'}, location withheld) ${short(w.id)} of ${w.owner}`;
  }
  const name = names.get(w.id);
  return `${c.kind === 'protected' ? 'protected site' : c.kind} ${name ? `“${name}”` : short(w.id)}`;
}

function zoomTo(polys: LonLat[][][], at?: number, until?: number): void {
  if (!map) return;
  const b = bbox(polys);
  if (!Number.isFinite(b[0])) return;
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 11, duration: 0 });
  void import('./map').then(({ setData }) =>
    setData(map!, 'highlight', polys.map((rings) => ({ type: 'Feature', geometry: { type: 'Polygon', coordinates: rings }, properties: {} }))),
  );
  if (at !== undefined) {
    // The first slider step inside [at, until) (the slider moves in 15-minute steps).
    let step = Math.ceil((at - base) / STEP_MS) + NOW_STEP;
    if (until !== undefined && base + (step - NOW_STEP) * STEP_MS >= until) step = Math.floor((at - base) / STEP_MS) + NOW_STEP;
    if (step >= 0 && step <= 480) $<HTMLInputElement>('time').value = String(step);
    render();
  }
}

// ---------- inbox ----------

async function refreshInbox(): Promise<void> {
  const all: Notification[] = [];
  let after = 0;
  for (let i = 0; i < 50; i++) {
    const page = (await api.inbox(after)).notifications;
    all.push(...page);
    if (page.length === 0) break;
    after = page[page.length - 1].id;
  }
  data.inbox = all;
  const overdue = new Map((await api.overdue()).overdue.map((o) => [o.notification, o]));
  const pending = all.filter((n) => n.requires_ack && !n.acked_at).length;
  $('inbox-count').textContent = `${pending} to acknowledge${overdue.size ? `, ${overdue.size} overdue` : ''}`;
  const items = [...all].reverse().map((n) => {
    const text = el('span', {}, `#${n.id} ${fmtTime(Date.parse(n.created_at))}: ${describeEvent(n.event)}`);
    const li = el('li', {}, text);
    const late = overdue.get(n.id);
    if (late && !n.acked_at) {
      li.classList.add('overdue');
      li.append(el('strong', { className: 'error' }, ` overdue since ${fmtTime(Date.parse(late.due_at))}${late.escalations ? ` (${late.escalations} reminders)` : ''}`));
    }
    if (n.requires_ack && !n.acked_at) {
      const b = el('button', { type: 'button' }, 'Acknowledge');
      b.setAttribute('aria-label', `Acknowledge notification ${n.id}`);
      b.dataset.ack = String(n.id);
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          await api.ack(n.id);
          await refreshInbox();
          ($('inbox').querySelector('button[data-ack]') as HTMLElement | null)?.focus();
        } catch (e) {
          b.disabled = false;
          li.append(el('span', { className: 'error', role: 'alert' } as Partial<HTMLSpanElement>, ` ${String(e)}`));
        }
      });
      li.append(' ', b);
    } else if (n.acked_at) {
      li.append(el('span', { className: 'acked' }, ` acknowledged ${fmtTime(Date.parse(n.acked_at))}`));
    }
    return li;
  });
  if (!items.length) items.push(el('li', { className: 'empty' }, 'No notifications.'));
  $('inbox').replaceChildren(...items);
}

function describeEvent(e: Notification['event']): string {
  const s = (k: string) => String(e[k] ?? '');
  const agreement = (id: string) => (names.has(id) ? `“${names.get(id)}”` : `agreement ${short(id)}`);
  switch (e.type) {
    case 'entity_changed':
      return `${s('owner')}'s ${short(s('entity'))} ${s('change')} in your subscribed area`;
    case 'ceasefire_changed':
      return `ceasefire ${agreement(s('agreement'))} is now ${s('status').replace('_', ' ')} (by ${s('by')})`;
    case 'exemption_declared':
      return `${s('party')} declared a ${s('category')} exemption in ${agreement(s('agreement'))} for operation ${short(s('operation'))}: ${s('justification')}`;
    case 'protected_site_notified':
      return `${s('notifier')} notified the protected ${s('category')} “${s('name')}” (version ${s('version')})`;
    case 'violation_reported':
      return `${s('reporter')} reported a ${s('category').replace(/_/g, ' ')}${e.alleged_party ? ` alleged against ${s('alleged_party')}` : ''}`;
    case 'acknowledgement_overdue':
      return `reminder: notification #${s('notification')} was due for acknowledgement by ${fmtTime(Date.parse(s('deadline')))}`;
    default:
      return e.type.replace(/_/g, ' ');
  }
}

// ---------- planning ----------

type Shape = 'polygon' | 'circle';
let drawing = false;
let points: LonLat[] = [];
let planKey: string[] = [];

const shape = (): Shape => (document.querySelector<HTMLInputElement>('input[name=shape]:checked')?.value as Shape) ?? 'polygon';

function setDrawing(on: boolean): void {
  drawing = on;
  const b = $('draw');
  b.setAttribute('aria-pressed', String(on));
  b.textContent = on ? (shape() === 'polygon' ? 'Finish' : 'Stop drawing') : 'Draw on the map';
  map?.getCanvas().classList.toggle('drawing', on);
}

function onMapClick(ev: maplibregl.MapMouseEvent): void {
  if (!drawing) return;
  const p: LonLat = [Number(ev.lngLat.lng.toFixed(5)), Number(ev.lngLat.lat.toFixed(5))];
  if (shape() === 'polygon') {
    points.push(p);
    $<HTMLInputElement>('vertices').value = points.map((q) => q.join(',')).join('; ');
  } else if (points.length === 0) {
    points = [p];
    $<HTMLInputElement>('center').value = p.join(',');
  } else {
    const [c] = points;
    const r = haversine(c, p);
    $<HTMLInputElement>('radius').value = String(Math.round(r));
    setDrawing(false);
  }
  drawPlan();
}

function haversine(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180;
  const dlat = (b[1] - a[1]) * rad, dlon = (b[0] - a[0]) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function parsePairs(s: string): LonLat[] {
  return s.split(';').map((x) => x.trim()).filter(Boolean).map((x) => {
    const [lon, lat] = x.split(',').map((v) => Number(v.trim()));
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) throw new Error(`“${x}” is not lon,lat`);
    return [lon, lat] as LonLat;
  });
}

function readPlan(): VolumeSpec {
  let footprint: VolumeSpec['footprint'];
  if (shape() === 'polygon') {
    const vertices = parsePairs($<HTMLInputElement>('vertices').value);
    if (vertices.length < 3) throw new Error('A polygon needs at least 3 corners.');
    footprint = { type: 'polygon', vertices };
  } else {
    const [center] = parsePairs($<HTMLInputElement>('center').value);
    const radius_m = Number($<HTMLInputElement>('radius').value);
    if (!center) throw new Error('Give the circle’s centre.');
    if (!(radius_m > 0)) throw new Error('Give the circle’s radius in metres.');
    footprint = { type: 'circle', center, radius_m };
  }
  const start = fromLocalInput($<HTMLInputElement>('plan-start').value);
  const end = fromLocalInput($<HTMLInputElement>('plan-end').value);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error('Give the start and end (UTC).');
  return {
    footprint,
    altitude_lower_m: Number($<HTMLInputElement>('plan-alt-lo').value),
    altitude_upper_m: Number($<HTMLInputElement>('plan-alt-hi').value),
    time_start: new Date(start).toISOString(),
    time_end: new Date(end).toISOString(),
  };
}

function drawPlan(): void {
  if (!map) return;
  const fs: GeoJSON.Feature[] = [];
  try {
    const v = readPlan();
    fs.push({ type: 'Feature', geometry: footprintGeometry(v.footprint), properties: {} });
  } catch {
    if (shape() === 'polygon' && points.length) {
      fs.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: points }, properties: {} });
    }
  }
  if (shape() === 'circle' && points.length === 1 && !$<HTMLInputElement>('radius').value) {
    fs.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [circleRing(points[0], 1)] }, properties: {} });
  }
  for (const p of shape() === 'polygon' ? points : points.slice(0, 1)) fs.push({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} });
  void import('./map').then(({ setData }) => setData(map!, 'plan', fs));
}

function clearPlan(): void {
  points = [];
  planKey = [];
  for (const id of ['vertices', 'center', 'radius']) $<HTMLInputElement>(id).value = '';
  $('plan-result').replaceChildren();
  setDrawing(false);
  drawPlan();
  void import('./map').then(({ setData }) => map && setData(map, 'highlight', []));
}

function result(...kids: (Node | string)[]): void {
  $('plan-result').replaceChildren(...kids);
}

async function check(): Promise<void> {
  let v: VolumeSpec;
  try {
    v = readPlan();
  } catch (e) {
    result(el('p', { className: 'error', role: 'alert' } as Partial<HTMLParagraphElement>, (e as Error).message));
    return;
  }
  const [ops, zones] = await Promise.all([api.queryOperations([v]), api.queryZones([v])]);
  const hits = [...ops.operations, ...zones.zones];
  planKey = hits.map((e) => e.ovn);
  const list = el('ul', { className: 'list', id: 'plan-conflicts' });
  for (const e of hits) {
    const what = names.has(e.id) ? `${e.zone_kind ?? ''} zone “${names.get(e.id)}” of ${e.owner}` : `${e.entity} ${short(e.id)} of ${e.owner}`;
    const text = `${what}${e.disclosure === 'coarse' ? ' (coarse)' : ''}: key needs OVN ${e.ovn}`;
    const b = el('button', { type: 'button', className: 'link' }, text);
    b.addEventListener('click', () => {
      const polys = entityFeatures(e, me).map((f) => (f.geometry as GeoJSON.Polygon).coordinates as LonLat[][]);
      zoomTo(polys);
    });
    list.append(el('li', {}, b));
  }
  result(
    el('p', { className: 'hint' }, 'Read-only check (POST /v1/operations/query and /v1/zones/query, as you may see the airspace): nothing was written. The server decides on submission; a ceasefire in force may still refuse it.'),
    el('p', { id: 'plan-count' }, hits.length ? `This volume intersects ${ops.operations.length} operation(s) and ${zones.zones.length} zone(s). Submitting names their ${planKey.length} OVN(s) in the key:` : 'Nothing you can see intersects this volume: the key is empty.'),
    list,
  );
  zoomTo([footprintGeometry(v.footprint).coordinates as LonLat[][]], Date.parse(v.time_start), Date.parse(v.time_end));
}

async function submit(extraKey: string[] = []): Promise<void> {
  let v: VolumeSpec;
  try {
    v = readPlan();
  } catch (e) {
    result(el('p', { className: 'error', role: 'alert' } as Partial<HTMLParagraphElement>, (e as Error).message));
    return;
  }
  const key = [...new Set([...planKey, ...extraKey])];
  const body: Record<string, unknown> = { volumes: [v], key };
  const cat = $<HTMLInputElement>('ex-cat').value.trim();
  if (cat) body.exemption = { category: cat, justification: $<HTMLInputElement>('ex-why').value.trim() };
  const id = crypto.randomUUID();
  try {
    const w = await api.putOperation(id, body);
    result(
      el('p', { className: 'ok', id: 'plan-filed' }, `Filed operation ${short(w.operation.id)} (OVN ${w.operation.ovn}); ${w.conflicts.length} conflict${w.conflicts.length === 1 ? '' : 's'} on record, listed under “Conflicts”.`),
    );
    points = [];
    planKey = [];
    for (const f of ['vertices', 'center', 'radius']) $<HTMLInputElement>(f).value = '';
    drawPlan();
    await refresh();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const p = e.problem;
    const kids: (Node | string)[] = [el('p', { className: 'error', role: 'alert' } as Partial<HTMLParagraphElement>, `Refused (${p.status} ${p.title}): ${p.detail} Nothing was written.`)];
    if (p.missing_ovns?.length) {
      const missing = p.missing_ovns;
      kids.push(el('p', {}, `The key lacks ${missing.length} OVNs:`), el('ul', { className: 'list' }, ...missing.map((o) => el('li', {}, o))));
      const retry = el('button', { type: 'button', id: 'submit-with-key' }, 'Submit with these OVNs in the key');
      retry.addEventListener('click', () => void submit([...key, ...missing]));
      kids.push(retry);
    }
    result(...kids);
  }
}

// ---------- chart ----------

function fillChartSelect(): void {
  const sel = $<HTMLSelectElement>('chart-cf');
  const cur = sel.value;
  sel.replaceChildren(...data.ceasefires.map((c) => el('option', { value: c.id }, `${c.name} (${c.status.replace('_', ' ')})`)));
  if (cur && data.ceasefires.some((c) => c.id === cur)) sel.value = cur;
  void drawChart();
}

async function drawChart(): Promise<void> {
  const c = data.ceasefires.find((x) => x.id === $<HTMLSelectElement>('chart-cf').value);
  if (!c) return;
  const today = new Date().toISOString().slice(0, 10);
  const start = new Date(Math.max(Date.parse(c.window_start), Date.now() - 60 * 86400000)).toISOString().slice(0, 10);
  const end = Date.parse(c.window_end) < Date.now() ? c.window_end.slice(0, 10) : today;
  const t = await api.tallies(start, end, c.id);
  renderChart($('chart'), start, end, t.tallies, c.name);
}

// ---------- wiring ----------

function init(): void {
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($<HTMLTextAreaElement>('token').value);
  });
  $('signout').addEventListener('click', signOut);
  for (const id of ['time', 'alt-min', 'alt-max']) $(id).addEventListener('input', render);
  $('time-now').addEventListener('click', () => {
    $<HTMLInputElement>('time').value = String(NOW_STEP);
    render();
  });
  $('draw').addEventListener('click', () => {
    if (drawing) {
      setDrawing(false);
      return;
    }
    points = [];
    setDrawing(true);
  });
  $('draw-clear').addEventListener('click', clearPlan);
  for (const r of document.querySelectorAll('input[name=shape]')) r.addEventListener('change', () => { points = []; setDrawing(false); drawPlan(); });
  for (const id of ['vertices', 'center', 'radius']) $(id).addEventListener('change', () => { planKey = []; drawPlan(); });
  $('check').addEventListener('click', () => void check().catch((e) => result(el('p', { className: 'error', role: 'alert' } as Partial<HTMLParagraphElement>, String(e)))));
  $('plan').addEventListener('submit', (e) => {
    e.preventDefault();
    void submit().catch((err) => result(el('p', { className: 'error', role: 'alert' } as Partial<HTMLParagraphElement>, String(err))));
  });
  $('chart-cf').addEventListener('change', () => void drawChart());

  void demoTokens().then((tokens) => {
    if (!tokens.length) return;
    $('demo-tokens').hidden = false;
    $('demo-list').replaceChildren(
      ...tokens.map(({ party, token }) => {
        const b = el('button', { type: 'button' }, `Sign in as ${party}`);
        b.dataset.party = party;
        b.addEventListener('click', () => {
          $<HTMLTextAreaElement>('token').value = token;
          void signIn(token);
        });
        return el('li', {}, b);
      }),
    );
  });
  const saved = sessionStorage.getItem('deconflict-token');
  if (saved) void signIn(saved);
}

init();
