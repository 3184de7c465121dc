// A listen address that is taken is one clear line naming it and the setting that changes it: the daemon's HTTP
// API (--api-addr / HIY_API_ADDR) and the HTTP(S) addresses HIY gives Caddy (HIY_HTTP_ADDR, HIY_HTTPS_ADDR).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CaddyAdminClient } from '../../src/drivers/caddy/client.js';
import { CaddyListenError } from '../../src/drivers/caddy/types.js';
import { type Harness, startHarness, webPort } from '../support/hiy.js';
import { freePort } from '../support/ports.js';
import { hiyProcess } from '../support/process.js';

/** A plain TCP listener holding 127.0.0.1:port, as another program would. */
async function hold(port: number): Promise<Server> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('a listen address in use', () => {
  let h: Harness;
  const held: Server[] = [];

  before(async () => {
    h = await startHarness({ 'web.yaml': webPort('web', 'web.listen.test') });
  });

  after(async () => {
    await Promise.all(held.map(close));
    await h?.cleanup();
  });

  it('hiy daemon whose API address is taken exits 1 with one line naming it and how to change it', async () => {
    const port = await freePort();
    held.push(await hold(port));
    const r = await hiyProcess(['daemon', '--api-addr', `127.0.0.1:${port}`], {
      ...process.env,
      ...h.env,
      HIY_LOG_LEVEL: 'info',
    });
    assert.equal(r.code, 1, r.out + r.err);
    const lines = r.err.split('\n').filter((l) => l.trim());
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
    assert.match(lines[0]!, /--api-addr ADDR/);
    assert.match(lines[0]!, /HIY_API_ADDR=off/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    assert.equal(r.out, '');
    // Nothing claims a daemon runs.
    assert.equal(existsSync(join(h.dataDir, 'daemon.pid')), false);
    assert.equal(existsSync(join(h.dataDir, 'daemon.json')), false);
  });

  it('an apply whose HTTP address is taken says which address and which setting, and works once it is free', async () => {
    const blocker = await hold(h.caddy.httpPort);
    held.push(blocker);
    const r = await h.hiy(['apply']);
    assert.notEqual(r.code, 0, r.out + r.err);
    const text = r.out + r.err;
    assert.match(
      text,
      new RegExp(
        `Caddy cannot listen on 127\\.0\\.0\\.1:${h.caddy.httpPort} \\(HIY_HTTP_ADDR\\): the address is in use.*set HIY_HTTP_ADDR to another address`,
      ),
      text,
    );
    assert.doesNotMatch(text, /\n\s+at /, 'no stack trace');
    // Freed, the next apply loads the routes.
    await close(blocker);
    held.splice(held.indexOf(blocker), 1);
    const again = await h.hiy(['apply']);
    assert.equal(again.code, 0, again.out + again.err);
    assert.equal((await h.get('web.listen.test')).body.trim(), 'web:hello');
  });

  it('the Caddy driver names the address and the setting of each listen address it was given', async () => {
    const [httpPort, httpsPort] = [h.caddy.httpPort, await freePort()];
    held.push(await hold(httpsPort));
    const client = new CaddyAdminClient({
      adminUrl: h.caddy.adminUrl,
      listenSettings: {
        [`127.0.0.1:${httpPort}`]: 'HIY_HTTP_ADDR',
        [`127.0.0.1:${httpsPort}`]: 'HIY_HTTPS_ADDR',
      },
    });
    const before = await client.getConfig();
    const config = {
      ...h.caddy.baseConfig,
      apps: { http: { servers: { other: { listen: [`127.0.0.1:${httpsPort}`], routes: [] } } } },
    };
    await assert.rejects(client.load(config), (err) => {
      assert.ok(err instanceof CaddyListenError, String(err));
      assert.equal(err.code, 'CADDY_LISTEN_FAILED');
      assert.equal(err.data.addr, `127.0.0.1:${httpsPort}`);
      assert.equal(err.data.setting, 'HIY_HTTPS_ADDR');
      assert.match(err.message, /\(HIY_HTTPS_ADDR\): the address is in use/);
      return true;
    });
    // Caddy refused the whole config: the previous one still runs.
    assert.deepEqual(await client.getConfig(), before);
  });
});
