// X-Forwarded-For through real Caddy and directly: the sign-in rate limit and the audit log see the client's
// address when the request came through HIY's dashboard route, and the socket's when a client forges the header.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import type { AuditEntry } from '../../src/store/audit.js';
import { proxySecret } from '../../src/store/proxySecret.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness } from '../support/hiy.js';

const USERS = `apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec:
  grants: [{ app: "*", role: admin }]
`;

/** A bad sign-in link POSTed to 127.0.0.1:port, from the loopback address `from` (all of 127/8 is this host). */
function badSignIn(port: number, host: string, from: string, headers: Record<string, string> = {}) {
  const body = `t=${'A'.repeat(43)}`;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        method: 'POST',
        path: '/login/link',
        timeout: 30_000,
        headers: {
          host,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

describe('X-Forwarded-For', () => {
  let h: Harness;
  let server: ApiServer;
  let env: Record<string, string>;
  let dashHost: string;

  const refusedFrom = async (): Promise<string[]> =>
    (await readFile(join(h.dataDir, 'audit.log'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.result === 'unauthenticated')
      .map((e) => /from (\S+)$/.exec(e.detail ?? '')?.[1] ?? '?');

  before(async () => {
    h = await startHarness({ 'users.yaml': USERS });
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
    dashHost = `hiy-${h.instance}.test`;
    env = { HIY_DASHBOARD_HOST: dashHost, HIY_API_ADDR: `127.0.0.1:${server.port}` };
    const applied = await h.hiy(['apply'], env);
    assert.equal(applied.code, 0, applied.out + applied.err);
  });

  after(async () => {
    await server?.close();
    await h?.cleanup();
  });

  it('Caddy sends the proxy secret upstream; plans and --json never show it, and a plan finds nothing to change', async () => {
    const secret = await proxySecret(h.dataDir);
    const raw = await (await fetch(`${h.caddy.adminUrl}/config/`)).text();
    assert.ok(raw.includes(secret), "the dashboard route in Caddy's config carries the secret");
    const plan = await h.hiy(['plan', '--json', '--detailed-exitcode'], env);
    assert.equal(plan.code, 0, `no perpetual change: ${plan.out}${plan.err}`);
    const status = await h.hiy(['status', '--json'], env);
    for (const out of [plan.out, plan.err, status.out, status.err]) assert.ok(!out.includes(secret));
  });

  it('through the dashboard route, the audit log records the client address, not the forged one', async () => {
    const status = await badSignIn(h.caddy.httpPort, dashHost, '127.0.0.5', {
      'x-forwarded-for': '203.0.113.5',
      'x-hiy-proxy-secret': 'a guess',
    });
    assert.equal(status, 410);
    assert.equal((await refusedFrom()).at(-1), '127.0.0.5');
  });

  it('directly against the daemon, a forged X-Forwarded-For is ignored: the socket address is recorded', async () => {
    const status = await badSignIn(server.port, '127.0.0.1', '127.0.0.1', {
      'x-forwarded-for': '203.0.113.6',
    });
    assert.equal(status, 410);
    assert.equal((await refusedFrom()).at(-1), '127.0.0.1');
  });

  it('forging a new address per attempt does not escape the rate limit; Caddy clients are limited each on its own', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push(
        await badSignIn(server.port, '127.0.0.1', '127.0.0.1', { 'x-forwarded-for': `198.51.100.${i}` }),
      );
    }
    assert.equal(statuses.at(-1), 429, statuses.join(' '));
    // 127.0.0.1 is blocked now; a client reaching the dashboard through Caddy is known by its own address.
    assert.equal(await badSignIn(h.caddy.httpPort, dashHost, '127.0.0.7'), 410);
    assert.equal((await refusedFrom()).at(-1), '127.0.0.7');
  });
});
