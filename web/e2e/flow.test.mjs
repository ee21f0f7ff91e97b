// The main walk-through at 1280×800: sign in, see a seeded conflict, scrub the time slider, draw
// an operation and get its conflicts, submit it, see another party's change arrive live, and
// acknowledge a notification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiCall, launch, OP, openPage, shot, signInAs, startDemo, waitForMapIdle } from './helpers.mjs';

let demo, browser, page, errors;

before(async () => {
  demo = await startDemo();
  browser = await launch();
  ({ page, errors } = await openPage(browser, demo.url));
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

const opsLive = async () => Number(await page.locator('#summary').getAttribute('data-ops'));

test('sign in as a demo party', async () => {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'Sign in as northern-air-force' }).waitFor();
  await shot(page, 'desktop-01-sign-in');
  await signInAs(page, 'northern-air-force');
  await assert.doesNotReject(page.getByText('Signed in as northern-air-force').waitFor());
  await shot(page, 'desktop-02-signed-in');
  // The demo's field clinic is notified conflict-only: its name appears nowhere on the page.
  await waitForMapIdle(page);
  assert.ok(!(await page.locator('body').innerText()).includes('Field clinic'));
});

test('a seeded conflict is listed, and a click zooms to it', async () => {
  // The northern patrol (operation 2) meets the southern patrol (operation 3), filed knowingly.
  const item = page.locator(`button[data-conflict="${OP(2)}:${OP(3)}"]`).first();
  await item.waitFor();
  assert.match(await item.innerText(), /operation 00000003 of southern-air-force/);
  await item.click();
  await waitForMapIdle(page);
  // The slider moved into the common window: both patrols are live there.
  assert.ok((await opsLive()) >= 2, await page.locator('#summary').innerText());
  await shot(page, 'desktop-03-conflict-zoomed');
});

test('the time slider changes the picture', async () => {
  await page.evaluate(() => window.deconflictMap.jumpTo({ center: [37.3, 35.85], zoom: 7.4 }));
  await waitForMapIdle(page);
  await page.getByRole('button', { name: 'Now', exact: true }).click();
  const now = await opsLive();
  const summaryNow = await page.locator('#summary').innerText();
  await shot(page, 'desktop-04-time-now');
  // Two hours on: the southern patrol (from +1 h) is live as well.
  await page.locator('#time').fill(String(192 + 8));
  await waitForMapIdle(page);
  const later = await opsLive();
  assert.equal(later, now + 1, `${summaryNow} / ${await page.locator('#summary').innerText()}`);
  await shot(page, 'desktop-05-time-plus-2h');
  // Seven hours on, the patrols have ended; nothing of the scenario is live.
  await page.locator('#time').fill(String(192 + 28));
  await waitForMapIdle(page);
  assert.ok((await opsLive()) < now);
  // And the altitude filter narrows it: below 1,000 m, no patrol (they fly from 2,000 m).
  await page.getByRole('button', { name: 'Now', exact: true }).click();
  await page.locator('#alt-max').fill('1000');
  assert.equal(await opsLive(), 0);
  await page.locator('#alt-max').fill('20000');
  assert.equal(await opsLive(), now);
});

test('draw an operation, see its conflicts before submitting, then submit', async () => {
  const map = page.locator('#map canvas');
  // Over the east of the second southern patrol (operation 4), clear of the hospital.
  const corners = [[36.76, 35.55], [36.80, 35.55], [36.80, 35.65], [36.76, 35.65]];
  await page.evaluate(() => window.deconflictMap.jumpTo({ center: [36.78, 35.6], zoom: 9 }));
  await waitForMapIdle(page);
  await page.getByRole('button', { name: 'Draw on the map' }).click();
  const box = await map.boundingBox();
  for (const c of corners) {
    const p = await page.evaluate((c) => window.deconflictMap.project(c), c);
    await page.mouse.click(box.x + p.x, box.y + p.y);
  }
  await page.getByRole('button', { name: 'Finish' }).click();
  const typed = await page.locator('#vertices').inputValue();
  assert.equal(typed.split(';').length, 4, typed);
  await shot(page, 'desktop-06-drawn');

  // Submitting without reading first: refused, nothing written, the key it needs listed.
  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.getByText('Refused (409 Airspace conflict)').waitFor();
  await page.locator('#plan-result').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-07-refused-409');

  // The read-only check lists what it meets, with the OVNs for the key.
  await page.getByRole('button', { name: 'Check conflicts (writes nothing)' }).click();
  const listed = page.locator('#plan-conflicts li');
  await listed.first().waitFor();
  assert.match(await page.locator('#plan-conflicts').innerText(), /operation 00000004 of southern-air-force/);
  await page.locator('#plan-result').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-08-checked');

  await page.getByRole('button', { name: 'Submit', exact: true }).click();
  await page.locator('#plan-filed').waitFor();
  assert.match(await page.locator('#plan-filed').innerText(), /Filed operation .* 1 conflicts on record|Filed operation/);
  // Its conflict with operation 4 is now in the list.
  await page.locator(`button[data-conflict$=":${OP(4)}"]`).first().waitFor();
  await page.locator('#plan-result').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-09-filed');
});

test('draw a circle and check it', async () => {
  await page.getByRole('radio', { name: 'Circle' }).check();
  await page.getByRole('button', { name: 'Draw on the map' }).click();
  const box = await page.locator('#map canvas').boundingBox();
  for (const c of [[36.70, 35.60], [36.75, 35.60]]) {
    const p = await page.evaluate((c) => window.deconflictMap.project(c), c);
    await page.mouse.click(box.x + p.x, box.y + p.y);
  }
  const [lon, lat] = (await page.locator('#center').inputValue()).split(',').map(Number);
  assert.ok(Math.abs(lon - 36.7) < 0.01 && Math.abs(lat - 35.6) < 0.01, `centre ${lon},${lat}`);
  const radius = Number(await page.locator('#radius').inputValue());
  assert.ok(Math.abs(radius - 4530) < 100, `radius ${radius} m`);
  await page.getByRole('button', { name: 'Check conflicts (writes nothing)' }).click();
  await page.locator('#plan-conflicts li').first().waitFor();
  // The southern patrol and the southern hospital (a protected zone) inside it.
  const text = await page.locator('#plan-conflicts').innerText();
  assert.match(text, /operation 00000004 of southern-air-force/);
  assert.match(text, /protected zone “Southern district hospital” of relief-agency/);
  await page.locator('#plan-result').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-10-circle-checked');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByRole('radio', { name: 'Polygon' }).check();
});

test('another party\'s change arrives live, without a reload', async () => {
  await page.getByRole('button', { name: 'Now', exact: true }).click();
  await page.evaluate(() => window.deconflictMap.jumpTo({ center: [37.1, 35.9], zoom: 7 }));
  await waitForMapIdle(page);
  const before = await opsLive();
  const now = Date.now();
  const body = {
    volumes: [{
      footprint: { type: 'circle', center: [37.9, 35.3], radius_m: 5000 },
      altitude_lower_m: 1000, altitude_upper_m: 2000,
      time_start: new Date(now - 2 * 3600000).toISOString(), time_end: new Date(now + 3600000).toISOString(),
    }],
  };
  const put = await apiCall(demo.url, demo.tokens['southern-air-force'], 'PUT', '/v1/operations/00000000-0000-4000-8000-00000000e2e1', body);
  assert.equal(put.status, 201, JSON.stringify(put.json));
  await page.waitForFunction((n) => Number(document.querySelector('#summary').dataset.ops) === n + 1, before, { timeout: 10000 });
  await waitForMapIdle(page);
  await shot(page, 'desktop-11-live-update');
});

test('acknowledge a notification', async () => {
  const buttons = page.locator('#inbox button[data-ack]');
  const n = await buttons.count();
  assert.ok(n > 0);
  await page.locator('#inbox').scrollIntoViewIfNeeded();
  await buttons.first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#inbox button[data-ack]').length === n - 1, n);
  await page.locator('#inbox .acked').first().waitFor();
  await page.locator('#inbox').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-12-acknowledged');
});

test('the per-ceasefire chart shows the daily tallies', async () => {
  await page.locator('#chart-cf').selectOption({ label: 'Nationwide cessation of hostilities (ended)' });
  await page.locator('#chart svg rect').first().waitFor();
  await page.locator('#chart').scrollIntoViewIfNeeded();
  await shot(page, 'desktop-13-chart');
  assert.deepEqual(errors, []);
});
