// Shared by the end-to-end tests: the real `deconflict demo` on loopback in a temporary data
// directory, Debian's Chromium driven by playwright-core, and screenshots in e2e/artifacts/.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function binary() {
  if (process.env.DECONFLICT_BIN) return process.env.DECONFLICT_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? resolve(here, '../../target');
  return join(target, 'debug', 'deconflict');
}

/// Starts `deconflict demo` on 127.0.0.1 (a free port) and resolves once it printed its tokens.
export async function startDemo() {
  const bin = binary();
  if (!existsSync(bin)) throw new Error(`no deconflict binary at ${bin}: build it (cargo build -p deconflict) or set DECONFLICT_BIN`);
  const data = mkdtempSync(join(tmpdir(), 'deconflict-e2e-'));
  const child = spawn(bin, ['demo', '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const ready = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`demo did not start in 60 s:\n${out}\n${err}`)), 60000);
    child.on('exit', (code) => rej(new Error(`demo exited (${code}):\n${out}\n${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /serving on (http:\/\/[0-9.:]+)/.exec(out)?.[1];
      const tokens = Object.fromEntries([...out.matchAll(/^ {2}([a-z-]+): (\S+)$/gm)].map((m) => [m[1], m[2]]));
      if (url && tokens['demo-admin']) {
        clearTimeout(timer);
        res({ url, tokens });
      }
    });
  });
  return {
    ...ready,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    // Software WebGL for MapLibre in a headless browser; no sandbox when run as root (CI).
    args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/// A page at `url` with a viewport, failing the test on page errors.
export async function openPage(browser, url, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The browser logs every non-2xx answer; a 409 is the refusal a test provokes on purpose.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 409/.test(m.text())) errors.push(m.text());
  });
  await page.goto(url);
  return { context, page, errors };
}

export async function shot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/// Signs in by clicking the demo party's button, and waits for the picture.
export async function signInAs(page, party) {
  await page.getByRole('button', { name: `Sign in as ${party}` }).click();
  await page.locator('#summary').filter({ hasText: ' live (' }).waitFor();
  await waitForMapIdle(page);
}

export async function waitForMapIdle(page) {
  await page.waitForFunction(() => {
    const m = window.deconflictMap;
    return m && m.loaded() && m.areTilesLoaded();
  }, null, { timeout: 30000 });
}

/// Calls the API as a party from the test (not through the page).
export async function apiCall(url, token, method, path, body) {
  const r = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

export const OP = (n) => `dec00000-0000-0000-0000-${String(n).padStart(12, '0')}`;
