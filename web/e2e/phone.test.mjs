// A 390-px-wide phone: the page fits the width, the map and the panels are there and usable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, shot, signInAs, startDemo } from './helpers.mjs';

let demo, browser, page, errors;

before(async () => {
  demo = await startDemo();
  browser = await launch();
  ({ page, errors } = await openPage(browser, demo.url, { width: 390, height: 844 }));
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

const fitsWidth = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test('sign in, see the map and the panels, acknowledge, on a phone', async () => {
  await page.getByRole('button', { name: 'Sign in as relief-agency' }).waitFor();
  assert.ok(await fitsWidth());
  await shot(page, 'phone-01-sign-in');
  await signInAs(page, 'relief-agency');
  assert.ok(await fitsWidth(), 'no horizontal scrolling');
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.width >= 380 && map.height >= 300, JSON.stringify(map));
  await shot(page, 'phone-02-map');
  await page.locator('#time').fill('200');
  await page.locator('#summary').scrollIntoViewIfNeeded();
  await shot(page, 'phone-03-time');
  const ack = page.locator('#inbox button[data-ack]');
  const n = await ack.count();
  await ack.first().scrollIntoViewIfNeeded();
  const box = await ack.first().boundingBox();
  assert.ok(box.height >= 32 && box.x + box.width <= 390, `a tappable button inside the width: ${JSON.stringify(box)}`);
  await ack.first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#inbox button[data-ack]').length === n - 1, n);
  await shot(page, 'phone-04-inbox');
  await page.locator('#plan').scrollIntoViewIfNeeded();
  await shot(page, 'phone-05-plan');
  assert.ok(await fitsWidth());
  assert.deepEqual(errors, []);
});
