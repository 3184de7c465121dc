// The box at a glance, in a real browser: the daemon's sampler (one real `podman stats` per sample for all of the
// instance's containers, Caddy's real access log) feeds the overview's and a resource page's charts, the box's disk,
// memory and load, requests and server errors per route through Caddy and the volumes' sizes.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { settingsFrom } from '../../src/cli/config.js';
import type { Engine } from '../../src/engine/engine.js';
import { realEngine } from '../../src/main.js';
import { usagePlugin } from '../../src/reconcile/index.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { ensureDashboardAssets, launchBrowser, signInWithLink } from '../support/browser.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

/** Screenshots go to a temporary folder, or to docs/screenshots/ when HIY_SCREENSHOTS=1 asks for the README's. */
const screenshotDir = join(tmpdir(), `hiy-usage-screenshots-${process.pid}`);
function screenshotPath(name: string): string {
  if (process.env.HIY_SCREENSHOTS === '1') return join('docs', 'screenshots', name);
  mkdirSync(screenshotDir, { recursive: true });
  return join(screenshotDir, name);
}
after(() => rmSync(screenshotDir, { recursive: true, force: true }));

const USERS = `apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec:
  grants: [{ app: "*", role: admin }]
`;

/**
 * For the README's pictures only (HIY_SCREENSHOTS=1): a few minutes of samples with work to show, a CPU-bound
 * loop in the greeter for a while and requests at a changing rate.
 */
async function busyMinutes(h: Harness, minutes: number): Promise<void> {
  const burn = execa(
    'podman',
    ['exec', `hiy-${h.instance}-greeter`, 'timeout', '60', 'sh', '-c', 'while :; do :; done'],
    {
      reject: false,
    },
  );
  const end = Date.now() + minutes * 60_000;
  for (let i = 0; Date.now() < end; i++) {
    for (let j = 0; j < 5 + (i % 20); j++) await h.get(j % 7 === 0 ? 'other.test' : 'greeter.test');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await burn;
}

describe('dashboard pictures', () => {
  let h: Harness;
  let engine: Engine;
  let server: ApiServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  let sampler: { stop(): Promise<void> } | undefined;
  const statsCalls: string[][] = [];

  before(async () => {
    await ensureDashboardAssets();
    h = await startHarness({
      'users.yaml': USERS,
      'greeter.yaml': webPort('greeter', 'greeter.test', { volume: true }),
      'other.yaml': webPort('other', 'other.test'),
    });
    const applied = await h.hiy(['apply']);
    assert.equal(applied.code, 0, applied.out + applied.err);
    const real = await realEngine(settingsFrom({}, h.env, true), h.env);
    const probes = real.usageProbes!;
    // The real probes, watched: each sample must read every container in one podman stats.
    engine = {
      ...real,
      usageProbes: {
        ...probes,
        containerStats: (names) => {
          statsCalls.push([...names].sort());
          return probes.containerStats(names);
        },
      },
    };
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
    base = `http://localhost:${server.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await sampler?.stop();
    await browser?.close();
    await server?.close();
    await h?.cleanup();
  });

  it('shows why there is nothing yet before the first sample, and the box already', async () => {
    const r = await h.hiy(['login', 'alice']);
    assert.equal(r.code, 0, r.err);
    const url = new URL(r.out.trimEnd().split('\n').at(-1)!);
    ({ page } = await signInWithLink(browser, `${base}${url.pathname}${url.search}`));
    const main = await page.locator('main').innerText();
    assert.match(main, /No samples yet: the daemon samples every 30 s/);
    assert.match(main, /Disk \(data directory\)\n.*of .* used, .* free/);
    assert.match(main, /Load\n[\d.]+ · [\d.]+ · [\d.]+ \(1, 5, 15 min; \d+ cores\)/);
    assert.match(main, /No requests counted yet/);
  });

  it('samples both containers in one podman stats and counts requests per route through Caddy', async () => {
    sampler = await usagePlugin({ intervalSeconds: 2 }).start({
      controller: new TestController(engine),
      engine,
      logger: pino({ level: 'silent' }),
      announce: async () => undefined,
    });
    // Requests between samples: Caddy logs them, and the next sample counts what the log gained per route.
    const usage = await waitFor(
      async () => {
        for (let i = 0; i < 5; i++) assert.equal((await h.get('greeter.test')).status, 200);
        const doc = await engine.stores.usage.read();
        return (doc?.resources['port/greeter']?.hour.length ?? 0) >= 2 &&
          (doc?.routes['greeter.test/']?.hour.some((p) => p[1]! > 0) ?? false)
          ? doc
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: 'two samples with requests counted' },
    );
    if (process.env.HIY_SCREENSHOTS === '1') await busyMinutes(h, 3);
    assert.ok(usage!.resources['port/other'], 'both resources sampled');
    const greeterMem = usage!.resources['port/greeter']!.hour.at(-1)![2]!;
    assert.ok(greeterMem > 0, 'memory of the greeter sampled');
    const volume = Object.entries(usage!.volumes).find(([, v]) => v.resource === 'port/greeter');
    assert.ok(volume, 'the greeter volume measured');
    const names = [`hiy-${h.instance}-greeter`, `hiy-${h.instance}-other`].sort();
    assert.ok(statsCalls.length >= 2);
    for (const call of statsCalls) assert.deepEqual(call, names, 'one stats call per sample for all');
    assert.ok(
      (engine.externalCalls?.of('podman') ?? 0) >= statsCalls.length,
      'stats counted as podman calls',
    );
  });

  it('the overview draws the charts, the requests per route and the volume sizes', async () => {
    await page.goto(`${base}/`);
    const cpu = page.getByRole('img', { name: /^CPU of all containers, last hour .*: now [\d.]+ %/ });
    await cpu.waitFor();
    // CPU and memory, requests and server errors: each over the last hour and the last day.
    assert.equal(await page.locator('figure.chart svg path.chart-line').count(), 8);
    assert.ok(
      await page.getByRole('img', { name: /^Memory of all containers, last day: now .*iB/ }).isVisible(),
    );
    await page
      .getByRole('img', { name: /^Requests to all routes, last hour \(per minute\): now [\d.]+ \/min/ })
      .waitFor();
    const traffic = await page.locator('#traffic ~ div.wrap table').first().innerText();
    assert.match(traffic, /greeter\.test\/\tport\/greeter\t[\d.]+ \/min \(\d+\)\t0 \(0\.0 %\)\t[\d.]+ ms/);
    const volumes = await page.locator('#volumes + div table').innerText();
    assert.match(
      volumes,
      new RegExp(`hiy-${h.instance}-greeter-data\\t[\\d.]+ (B|KiB) \\(\\d+ files, measured`),
    );
    await page.screenshot({ path: screenshotPath('usage-overview.png'), fullPage: true });
  });

  it("a resource page draws that resource's charts and its volume", async () => {
    await page.goto(`${base}/r/port/greeter`);
    await page.getByRole('img', { name: /^CPU of this resource, last hour .*: now [\d.]+ %/ }).waitFor();
    assert.ok(
      await page.getByRole('img', { name: /^Memory of this resource, last hour: now .*iB/ }).isVisible(),
    );
    await page
      .getByRole('img', { name: /^Requests to this resource, last hour \(per minute\): now [\d.]+ \/min/ })
      .waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /greeter\.test\/\t[\d.]+ \/min \(\d+\)\t0 \(0\.0 %\)/);
    assert.doesNotMatch(text, /other\.test/, "another resource's route is not on this page");
    assert.match(text, new RegExp(`hiy-${h.instance}-greeter-data\\t[\\d.]+ (B|KiB)`));
    await page.locator('#usage').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('usage-resource.png'), fullPage: true });
  });

  it("a route whose upstream is down shows its server errors on its resource's page", async () => {
    // The test's own container stopped: Caddy answers the route with 502 until it is back.
    await execa('podman', ['stop', '-t', '1', `hiy-${h.instance}-other`]);
    await waitFor(
      async () => {
        for (let i = 0; i < 3; i++) assert.equal((await h.get('other.test')).status, 502);
        const doc = await engine.stores.usage.read();
        return doc?.routes['other.test/']?.hour.some((p) => p[2]! > 0) ?? false;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: "the 502s counted on other.test's route" },
    );
    await page.goto(`${base}/r/port/other`);
    await page
      .getByRole('img', { name: /^Server errors \(5xx\) of this resource, last hour \(per minute\): now/ })
      .waitFor();
    const text = await page.locator('main').innerText();
    const row = /other\.test\/\t[\d.]+ \/min \((\d+)\)\t(\d+) \(([\d.]+) %\)/.exec(text);
    assert.ok(row, `the route's row: ${text}`);
    assert.ok(Number(row[2]) >= 3 && Number(row[2]) <= Number(row[1]), `errors counted: ${row[0]}`);
    assert.equal(await page.locator('#traffic ~ div.wrap td.bad').count(), 1, 'the errors are marked');
    await page.locator('#traffic').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('usage-route-errors.png'), fullPage: true });
  });
});
