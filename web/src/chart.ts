// A bar chart of daily violation-report tallies (inline SVG, with a table for screen readers).
import type { TallyRow } from './api';

export function renderChart(el: HTMLElement, from: string, to: string, rows: TallyRow[], title: string): void {
  const days: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d <= new Date(`${to}T00:00:00Z`); d = new Date(d.getTime() + 86400000)) {
    days.push(d.toISOString().slice(0, 10));
  }
  const per = new Map<string, { reports: number; incidents: number }>();
  for (const r of rows) {
    const v = per.get(r.day) ?? { reports: 0, incidents: 0 };
    v.reports += r.reports;
    v.incidents += r.incidents;
    per.set(r.day, v);
  }
  const max = Math.max(1, ...[...per.values()].map((v) => v.reports));
  const W = 360, H = 140, pad = 22;
  const bw = (W - pad) / Math.max(1, days.length);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 20}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: reports per day from ${from} to ${to}`);
  svg.classList.add('chart');
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  add('line', { x1: pad, y1: H, x2: W, y2: H, stroke: '#555' });
  add('text', { x: 2, y: 10, 'font-size': 10 }, String(max));
  add('text', { x: 2, y: H, 'font-size': 10 }, '0');
  days.forEach((d, i) => {
    const v = per.get(d);
    if (v && v.reports > 0) {
      const h = ((H - 12) * v.reports) / max;
      const r = add('rect', { x: pad + i * bw + 1, y: H - h, width: Math.max(1, bw - 2), height: h, fill: '#b91c1c' });
      const t = document.createElementNS(ns, 'title');
      t.textContent = `${d}: ${v.reports} reports, ${v.incidents} incidents`;
      r.appendChild(t);
    }
  });
  add('text', { x: pad, y: H + 14, 'font-size': 10 }, from);
  add('text', { x: W, y: H + 14, 'font-size': 10, 'text-anchor': 'end' }, to);
  const table = document.createElement('table');
  table.className = 'tally-table';
  table.innerHTML = '<caption>Days with reports</caption><thead><tr><th scope="col">Day</th><th scope="col">Reports</th><th scope="col">Incidents</th></tr></thead>';
  const body = table.createTBody();
  for (const d of days) {
    const v = per.get(d);
    if (!v) continue;
    const tr = body.insertRow();
    for (const c of [d, String(v.reports), String(v.incidents)]) tr.insertCell().textContent = c;
  }
  if (!body.rows.length) {
    const tr = body.insertRow();
    const c = tr.insertCell();
    c.colSpan = 3;
    c.textContent = 'No reports in this period.';
  }
  el.replaceChildren(svg, table);
}
