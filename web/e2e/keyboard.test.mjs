// Keyboard only: sign in by typing a token, and acknowledge a notification, with Tab and Enter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, shot, startDemo } from './helpers.mjs';

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

/// Presses Tab until `selector` has the focus (at most `max` times); returns how many presses.
async function tabTo(selector, max = 150) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
  }
  throw new Error(`${selector} not reached with ${max} Tabs`);
}

test('sign in and acknowledge with the keyboard only', async () => {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await tabTo('#token');
  await page.keyboard.type(demo.tokens['southern-air-force']);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in');
  await shot(page, 'keyboard-01-token-typed');
  await page.keyboard.press('Enter');
  await page.getByText('Signed in as southern-air-force').waitFor();
  await page.locator('#summary').filter({ hasText: ' live (' }).waitFor();

  const before = await page.locator('#inbox button[data-ack]').count();
  assert.ok(before > 0, 'the southern force has notifications to acknowledge');
  const presses = await tabTo('#inbox button[data-ack]');
  // The focused control shows a visible focus ring.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid');
  await page.evaluate(() => document.activeElement.scrollIntoView({ block: 'center' }));
  await shot(page, 'keyboard-02-ack-focused');
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('#inbox button[data-ack]').length === n - 1, before);
  // The focus moves on to the next notification to acknowledge.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.ack !== undefined), true);
  await shot(page, 'keyboard-03-acknowledged');
  assert.deepEqual(errors, []);
  console.log(`# the first Acknowledge button took ${presses} Tab presses`);
});
