// Requests per route from a real Caddy's access log: two instances' servers on one Caddy, each logging to its own
// file in its data directory; 5xx from a failing upstream and from a closed port counted on their routes, unknown
// hosts apart, no query or header in the file, nothing in Caddy's own log, a real roll read across, nothing twice.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AccessEntry, type AccessLogCursor, readAccessLog } from '../../src/drivers/caddy/accessLog.js';
import { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  renderProxy,
  tlsPolicyId,
} from '../../src/drivers/caddy/render.js';
import { countByRoute, NO_ROUTE, type RouteCounts } from '../../src/drivers/caddy/routeTraffic.js';
import type { ResourceId } from '../../src/model/names.js';
import { accessLogFile, type ProxyState } from '../../src/model/routing.js';
import { type RunningCaddy, startCaddy } from '../support/caddy.js';
import { freePort, waitFor } from '../support/ports.js';

/** One GET through Caddy with a Host header; resolves to the status. */
function get(
  port: number,
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.end();
  });
}

/** Reads `file` from `cursor` until `done` holds for everything read since; returns it with the new cursor. */
async function readUntil(
  file: string,
  cursor: AccessLogCursor | undefined,
  done: (entries: AccessEntry[]) => boolean,
): Promise<{ entries: AccessEntry[]; cursor: AccessLogCursor | undefined }> {
  const entries: AccessEntry[] = [];
  let at = cursor;
  await waitFor(
    async () => {
      const r = await readAccessLog(file, at);
      entries.push(...r.entries);
      at = r.cursor;
      return done(entries);
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `lines in ${file}` },
  );
  return { entries, cursor: at };
}

const routes = (counts: Record<string, RouteCounts>) =>
  Object.fromEntries(Object.entries(counts).map(([k, [n, errors]]) => [k, [n, errors]]));

describe('requests per route from Caddy access log', () => {
  let caddy: RunningCaddy;
  let upstream: Server;
  let upstreamPort: number;
  let closedPort: number;
  let portB: number;
  const dataA = mkdtempSync(join(tmpdir(), 'hiy-traffic-a-'));
  const dataB = mkdtempSync(join(tmpdir(), 'hiy-traffic-b-'));
  const fileA = accessLogFile(dataA);
  const fileB = accessLogFile(dataB);
  let cursorA: AccessLogCursor | undefined;
  let cursorB: AccessLogCursor | undefined;

  const stateA = (withLog = true): ProxyState => ({
    server: 'hiy-traffic-a',
    listen: [`127.0.0.1:${caddy.httpPort}`],
    tls: 'off',
    routes: [
      {
        resource: 'app/api' as ResourceId,
        host: 'web.test',
        path: '/api',
        upstream: `127.0.0.1:${closedPort}`,
      },
      {
        resource: 'port/web' as ResourceId,
        host: 'web.test',
        path: '/',
        upstream: `127.0.0.1:${upstreamPort}`,
      },
    ],
    ...(withLog ? { accessLog: fileA } : {}),
  });
  const stateB = (): ProxyState => ({
    server: 'hiy-traffic-b',
    listen: [`127.0.0.1:${portB}`],
    tls: 'off',
    routes: [
      { resource: 'port/b' as ResourceId, host: 'b.test', path: '/', upstream: `127.0.0.1:${upstreamPort}` },
    ],
    accessLog: fileB,
  });
  /** A load as an instance's engine makes it: its own part, compare-and-swapped into what Caddy runs. */
  const load = (state: ProxyState) =>
    new CaddyAdminClient({ adminUrl: caddy.adminUrl, owner: state.server }).load(
      mergeOwned(null, renderProxy(state), ownedServerNames(state.server), tlsPolicyId(state.server)),
    );

  before(async () => {
    caddy = await startCaddy();
    portB = await freePort();
    closedPort = await freePort(); // closed again at once: a route to it answers 502
    upstream = createServer((req, res) => {
      res.statusCode = req.url?.startsWith('/boom') ? 500 : 200;
      res.end('ok');
    });
    upstreamPort = await new Promise<number>((resolve) => {
      upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port));
    });
    await load(stateA());
    await load(stateB());
    // The daemon's first read: the files do not exist until Caddy's first request to each.
    cursorA = (await readAccessLog(fileA, undefined)).cursor;
    cursorB = (await readAccessLog(fileB, undefined)).cursor;
  });

  after(async () => {
    await caddy?.stop();
    await new Promise((r) => upstream?.close(r));
    rmSync(dataA, { recursive: true, force: true });
    rmSync(dataB, { recursive: true, force: true });
  });

  it("both instances' servers and access logs are in Caddy as each rendered them", async () => {
    const config = await new CaddyAdminClient({ adminUrl: caddy.adminUrl }).getConfig();
    for (const s of [stateA(), stateB()]) {
      const parsed = parseOwned(config, s.server);
      assert.equal(parsed.pristine, true, `${s.server} pristine`);
      assert.equal(parsed.state?.accessLog, s.accessLog);
    }
  });

  it('counts each route’s requests and 5xx, unknown hosts apart, each in its own instance’s file', async () => {
    const a = caddy.httpPort;
    assert.equal(await get(a, 'web.test', '/?token=s3cret', { Authorization: 'Bearer t0psecret' }), 200);
    assert.equal(await get(a, 'web.test', '/page'), 200);
    assert.equal(await get(a, 'web.test', '/boom'), 500);
    assert.equal(await get(a, 'web.test', '/api/v1'), 502);
    assert.equal(await get(a, 'web.test', '/api'), 502);
    assert.equal(await get(a, 'unknown.test', '/'), 200); // Caddy's empty answer for a host no route has
    assert.equal(await get(portB, 'b.test', '/'), 200);
    assert.equal(await get(portB, 'b.test', '/boom'), 500);

    const readA = await readUntil(fileA, cursorA, (e) => e.length >= 6);
    const readB = await readUntil(fileB, cursorB, (e) => e.length >= 2);
    cursorA = readA.cursor;
    cursorB = readB.cursor;
    const countsA = countByRoute(readA.entries, stateA().routes);
    assert.deepEqual(routes(countsA), { 'web.test/': [3, 1], 'web.test/api': [2, 2], [NO_ROUTE]: [1, 0] });
    assert.ok(countsA['web.test/']![2] > 0, 'durations summed');
    assert.deepEqual(routes(countByRoute(readB.entries, stateB().routes)), { 'b.test/': [2, 1] });

    const text = readFileSync(fileA, 'utf8');
    for (const secret of ['s3cret', 't0psecret', 'Authorization', 'remote_ip'])
      assert.ok(!text.includes(secret), `${secret} is not in the access log`);
    assert.doesNotMatch(caddy.output(), /handled request/, "Caddy's own log does not print every request");
    const again = await readAccessLog(fileA, cursorA);
    assert.deepEqual(again.entries, [], 'nothing read twice');
  });

  it('reads across a real roll of the file (1 MiB) without losing or re-counting a line', async () => {
    // Long paths make long lines: a little over 1 MiB in a few hundred requests.
    const path = `/${'x'.repeat(2500)}`;
    const total = 520;
    for (let i = 0; i < total; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, total - i) }, () => get(caddy.httpPort, 'web.test', path)),
      );
    const read = await readUntil(fileA, cursorA, (e) => e.length >= total);
    cursorA = read.cursor;
    assert.equal(read.entries.length, total, 'every request once');
    const rolled = readdirSync(join(dataA, 'access-log')).filter((n) => n !== 'access.log');
    assert.equal(rolled.length, 1, `one rolled file beside the log: ${rolled.join(', ')}`);
    assert.match(rolled[0]!, /^access-.*\.log$/);
  });

  it("an instance that turns its log off leaves the other's log, which keeps counting", async () => {
    await load(stateA(false));
    const config = await new CaddyAdminClient({ adminUrl: caddy.adminUrl }).getConfig();
    assert.equal(parseOwned(config, 'hiy-traffic-a').state?.accessLog, undefined);
    assert.equal(parseOwned(config, 'hiy-traffic-b').pristine, true, "b's log and exclusion kept");
    assert.equal(await get(portB, 'b.test', '/after'), 200);
    const readB = await readUntil(fileB, cursorB, (e) => e.length >= 1);
    assert.deepEqual(routes(countByRoute(readB.entries, stateB().routes)), { 'b.test/': [1, 0] });
  });
});
