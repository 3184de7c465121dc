// Tests never use HIY's default addresses (a `make demo` may hold them): the harness hands out free loopback ones,
// and the integration run holds the defaults (test/support/hold-default-ports.ts) so a test that binds one fails.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DEFAULT_API_ADDR, DEFAULT_SETTINGS } from '../../src/model/settings.js';
import { DEFAULT_ADDRESSES, holdDefaultPorts } from '../support/defaultPorts.js';
import { startHarness } from '../support/hiy.js';
import { freePort } from '../support/ports.js';

const WRAPPER = fileURLToPath(new URL('../support/hold-default-ports.ts', import.meta.url));

/** Tries to listen on every default address; prints `ADDR CODE` per address (CODE `listening` if it could). */
const BIND_ALL = `
const net = require('node:net');
const addrs = JSON.parse(process.argv[1]);
(async () => {
  for (const a of addrs) {
    const code = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', (e) => resolve(e.code));
      s.listen({ port: a.port, ...(a.host ? { host: a.host } : {}) }, () => s.close(() => resolve('listening')));
    });
    console.log(a.addr + ' ' + code);
  }
})();
`;

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/config/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('default addresses during tests', () => {
  it('the harness gives every listener a free loopback address and its own data dir, never a default', async () => {
    const h = await startHarness();
    try {
      const defaults = [DEFAULT_API_ADDR, DEFAULT_SETTINGS.httpAddr, DEFAULT_SETTINGS.httpsAddr];
      for (const key of ['HIY_API_ADDR', 'HIY_HTTP_ADDR', 'HIY_HTTPS_ADDR']) {
        const v = h.env[key]!;
        assert.match(v, /^127\.0\.0\.1:\d+$/, `${key}=${v}`);
        assert.ok(!defaults.includes(v), `${key}=${v} is a default`);
        assert.ok(!DEFAULT_ADDRESSES.some((a) => a.port === Number(v.split(':')[1])), `${key}=${v}`);
      }
      const admin = new URL(h.env.HIY_CADDY_ADMIN!);
      assert.equal(admin.hostname, '127.0.0.1');
      assert.notEqual(h.env.HIY_CADDY_ADMIN, DEFAULT_SETTINGS.caddyAdmin);
      assert.ok(!DEFAULT_ADDRESSES.some((a) => a.port === Number(admin.port)));
      assert.ok(h.env.HIY_DATA_DIR!.startsWith(tmpdir()), h.env.HIY_DATA_DIR);
      assert.notEqual(h.env.HIY_INSTANCE, DEFAULT_SETTINGS.instance);
    } finally {
      await h.cleanup();
    }
  });

  it('under hold-default-ports, binding any default address fails (whoever holds it)', async () => {
    const r = await execa(
      process.execPath,
      ['--import', 'tsx', WRAPPER, process.execPath, '-e', BIND_ALL, JSON.stringify(DEFAULT_ADDRESSES)],
      { reject: false },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, DEFAULT_ADDRESSES.length, r.stdout);
    for (const line of lines) assert.doesNotMatch(line, / listening$/, `${line}: a test could bind it`);
  });

  it('a connection to a held address gets a 503 naming it and is reported', async () => {
    // Held on a free port standing in for a default (the real defaults are held by the run around this test).
    const port = await freePort();
    const ports = await holdDefaultPorts([
      { addr: `127.0.0.1:${port}`, setting: 'HIY_TEST_ADDR', host: '127.0.0.1', port },
    ]);
    try {
      assert.deepEqual(
        ports.held.map((a) => a.addr),
        [`127.0.0.1:${port}`],
      );
      assert.equal(ports.report(), '');
      const r = await get(port);
      assert.equal(r.status, 503);
      assert.match(r.body, new RegExp(`127\\.0\\.0\\.1:${port} is held for the test run.*HIY_TEST_ADDR`));
      assert.match(ports.report(), new RegExp(`1 connection\\(s\\) to 127\\.0\\.0\\.1:${port}`));
    } finally {
      await ports.release();
    }
  });
});
