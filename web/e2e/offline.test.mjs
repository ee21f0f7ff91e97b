// No request leaves the host: every request the page (and its workers) makes is intercepted, and
// any URL that is not on loopback fails the test (and is aborted).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, shot, signInAs, startDemo, waitForMapIdle } from './helpers.mjs';

let demo, browser;

before(async () => {
  demo = await startDemo();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

const LOOPBACK = /^(http|ws)s?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//;
const LOCAL_SCHEMES = /^(data|blob|about):/;

test('the page requests nothing outside loopback', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const seen = [];
  const outside = [];
  const check = (url) => {
    seen.push(url);
    if (!LOOPBACK.test(url) && !LOCAL_SCHEMES.test(url)) outside.push(url);
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    check(url);
    return LOOPBACK.test(url) || LOCAL_SCHEMES.test(url) ? route.continue() : route.abort('blockedbyclient');
  });
  // Also what routing may not see (workers, redirects).
  context.on('request', (r) => check(r.url()));
  const page = await context.newPage();
  page.on('websocket', (ws) => check(ws.url()));
  await page.goto(demo.url);
  await signInAs(page, 'relief-agency');
  // Zoom and pan so that the map would load anything it wanted to.
  for (const [center, zoom] of [[[37.1, 35.9], 9], [[0, 20], 1.5], [[37.1, 35.9], 12]]) {
    await page.evaluate(([c, z]) => window.deconflictMap.jumpTo({ center: c, zoom: z }), [center, zoom]);
    await waitForMapIdle(page);
  }
  await page.evaluate(() => window.deconflictMap.jumpTo({ center: [0, 20], zoom: 1.5 }));
  await waitForMapIdle(page);
  await shot(page, 'offline-world');
  await page.locator('#time').fill('300');
  await page.locator('#chart-cf').selectOption({ index: 1 });
  await page.waitForTimeout(500);
  assert.ok(seen.some((u) => u.includes('/v1/')), 'the API was called');
  assert.ok(seen.some((u) => u.includes('maplibre-gl-worker')), 'the map worker was loaded');
  assert.deepEqual(outside, [], `non-loopback requests: ${outside.join(', ')}`);
  console.log(`# ${seen.length} requests, all on loopback`);
  await context.close();
});
