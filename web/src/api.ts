// The native API of the same origin (/v1), with the signed-in party's bearer token. Nothing here
// decides what a party may see: the server discloses, the page draws what it is given.

export type LonLat = [number, number];
export type Footprint =
  | { type: 'polygon'; vertices: LonLat[] }
  | { type: 'circle'; center: LonLat; radius_m: number };

export interface VolumeSpec {
  footprint: Footprint;
  altitude_lower_m: number;
  altitude_upper_m: number;
  time_start: string;
  time_end: string;
}

export interface CoarseVolume {
  time_start: string;
  time_end: string;
  altitude_lower_m: number;
  altitude_upper_m: number;
  h3_resolution: number;
  h3_cells: string[];
}

export interface Entity {
  id: string;
  owner: string;
  entity: 'operation' | 'zone';
  state?: string;
  zone_kind?: string;
  ovn: string;
  version: number;
  disclosure: 'full' | 'coarse' | 'withheld';
  volumes?: VolumeSpec[];
  coarse_volumes?: CoarseVolume[];
  /** A protected site notified conflict-only: its category (no geometry is ever given). */
  category?: string;
}

export interface Pair {
  own_volume: number;
  other_volume: number;
  time_start: string;
  time_end: string;
  altitude_lower_m: number;
  altitude_upper_m: number;
  intersection: LonLat[][][];
}

export interface Conflict {
  kind: string;
  with: Entity & { name?: string };
  pairs: Pair[];
}

export interface Notification {
  id: number;
  recipient: string;
  created_at: string;
  event: { type: string; [k: string]: unknown };
  requires_ack: boolean;
  acked_at: string | null;
}

export interface Ceasefire {
  id: string;
  name: string;
  status: string;
  area: GeoJSON.MultiPolygon;
  altitude_lower_m: number;
  altitude_upper_m: number;
  window_start: string;
  window_end: string;
}

export interface ProtectedSite {
  id: string;
  name: string;
  category: string;
  kind: 'site' | 'movement';
  geometry: GeoJSON.Geometry;
  radius_m?: number | null;
  corridor_width_m?: number | null;
  windows?: { start: string; end: string }[];
  valid_from: string;
  valid_until: string;
}

export interface Report {
  id: string;
  observed_start: string;
  observed_end: string;
  location: GeoJSON.Point | GeoJSON.Polygon;
  category: string;
  alleged_party: string | null;
  status: string;
  description: string;
}

export interface TallyRow {
  day: string;
  agreement: string | null;
  category: string;
  reports: number;
  incidents: number;
}

export interface Problem {
  title: string;
  status: number;
  detail: string;
  missing_ovns?: string[];
  missing?: Conflict[];
  [k: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public problem: Problem,
  ) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

let token = '';
export function setToken(t: string): void {
  token = t;
}
export function authHeader(): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeader(), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await r.text();
  const json = text ? JSON.parse(text) : {};
  if (!r.ok) {
    throw new ApiError(r.status, {
      title: json.title ?? r.statusText,
      status: r.status,
      detail: json.detail ?? text,
      ...json,
    });
  }
  return json as T;
}

export const api = {
  queryOperations: (volumes: VolumeSpec[]) =>
    call<{ operations: Entity[] }>('POST', '/v1/operations/query', { volumes }),
  queryZones: (volumes: VolumeSpec[]) =>
    call<{ zones: Entity[] }>('POST', '/v1/zones/query', { volumes }),
  conflicts: (id: string) =>
    call<{ conflicts: Conflict[] }>('GET', `/v1/operations/${id}/conflicts`),
  putOperation: (id: string, body: unknown) =>
    call<{ operation: Entity; conflicts: Conflict[] }>('PUT', `/v1/operations/${id}`, body),
  protectedSites: () => call<{ protected_sites: ProtectedSite[] }>('GET', '/v1/protected-sites'),
  ceasefires: () => call<{ ceasefires: Ceasefire[] }>('GET', '/v1/ceasefires'),
  reports: (after?: string) =>
    call<{ reports: Report[]; next?: string | null }>(
      'GET',
      `/v1/reports?limit=500${after ? `&after=${after}` : ''}`,
    ),
  tallies: (from: string, to: string, agreement: string) =>
    call<{ tallies: TallyRow[] }>(
      'GET',
      `/v1/reports/tallies?from=${from}&to=${to}&agreement=${agreement}&format=json`,
    ),
  inbox: (after: number) =>
    call<{ notifications: Notification[] }>('GET', `/v1/inbox?after=${after}`),
  ack: (id: number) => call<unknown>('POST', `/v1/inbox/${id}/ack`),
  overdue: () =>
    call<{ overdue: { notification: number; due_at: string; escalations: number }[] }>('GET', '/v1/inbox/overdue'),
};

/// The demo's tokens, when this server is `deconflict demo` on loopback (404 otherwise).
export async function demoTokens(): Promise<{ party: string; token: string }[]> {
  try {
    const r = await fetch('/demo/tokens', { cache: 'no-store' });
    if (!r.ok) return [];
    return ((await r.json()) as { tokens: { party: string; token: string }[] }).tokens;
  } catch {
    return [];
  }
}

/// The party a token names (its `sub`), read without verifying: the server verifies.
export function tokenParty(t: string): string | null {
  try {
    const part = t.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = JSON.parse(json).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}
