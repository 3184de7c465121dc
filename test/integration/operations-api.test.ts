// The everyday operations in the HTTP API on real Podman, Caddy and git: logs (JSON and SSE), run, config, restart.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { apiRequest } from '../support/api.js';
import { TestController } from '../support/controller.js';
import { git, type Harness, startHarness, webPort } from '../support/hiy.js';
import { waitFor } from '../support/ports.js';

const users = `apiVersion: hiy/v1
kind: User
metadata: { name: dora }
spec:
  grants: [{ app: "*", role: deploy }]
---
apiVersion: hiy/v1
kind: User
metadata: { name: vic }
spec:
  grants: [{ app: "*", role: view }]
---
apiVersion: hiy/v1
kind: User
metadata: { name: ada }
spec:
  grants: [{ app: "*", role: admin }]
`;

describe('everyday operations in the API', () => {
  let h: Harness;
  let server: ApiServer;
  const tokens: Record<string, string> = {};

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await apiRequest(server.url, method, path, token, body);
    return {
      status: r.status,
      json: () => JSON.parse(r.text) as Record<string, unknown> & { error?: { code: string } },
    };
  };

  before(async () => {
    h = await startHarness({ 'users.yaml': users, 'greeter.yaml': webPort('greeter', 'greeter.test') });
    assert.equal((await h.hiy(['apply'])).code, 0);
    for (const u of ['dora', 'vic', 'ada']) tokens[u] = (await h.hiy(['token', 'create', u])).out.trim();
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
  });
  after(async () => {
    await server?.close();
    await h?.cleanup();
  });

  it('logs: JSON for a view user, and SSE with follow=1', async () => {
    const r = await call('GET', '/api/v1/resources/greeter/logs?tail=10', tokens.vic!);
    assert.equal(r.status, 200);
    assert.equal(r.json().resource, 'port/greeter');
    const none = await call('GET', '/api/v1/resources/greeter/logs?previous=1', tokens.vic!);
    assert.equal(none.status, 404);
    assert.equal(none.json().error?.code, 'NO_PREVIOUS');
    const lines: string[] = [];
    const abort = new AbortController();
    const streaming = new Promise<void>((resolve, reject) => {
      const req = request(
        new URL('/api/v1/resources/greeter/logs?follow=1', server.url),
        { headers: { authorization: `Bearer ${tokens.vic}` }, signal: abort.signal },
        (res) => {
          assert.match(String(res.headers['content-type']), /text\/event-stream/);
          res.setEncoding('utf8');
          res.on('data', (d: string) => lines.push(d));
          res.on('close', () => resolve());
        },
      );
      req.on('error', (err) => (abort.signal.aborted ? resolve() : reject(err)));
      req.end();
    });
    const ran = await call('POST', '/api/v1/resources/greeter/run', tokens.dora!, {
      command: ['sh', '-c', 'echo hi; exit 2'],
    });
    assert.equal(ran.status, 200);
    assert.deepEqual(ran.json(), { resource: 'port/greeter', exitCode: 2, output: 'hi\n' });
    await waitFor(() => lines.join('').includes(': connected'), { what: 'the SSE stream' });
    abort.abort();
    await streaming;
  });

  it('grants: a view user may not run, restart or change config (403, audited)', async () => {
    for (const [method, what, body] of [
      ['POST', 'run', { command: ['true'] }],
      ['POST', 'restart', {}],
      ['PATCH', 'config', { set: { A: 'b' } }],
    ] as const) {
      const r = await call(method, `/api/v1/resources/greeter/${what}`, tokens.vic!, body);
      assert.equal(r.status, 403, what);
    }
    const audit = (await readFile(join(h.dataDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      audit.slice(-3).map((a) => [a.actor, a.action, a.result]),
      [
        ['vic', 'run', 'denied'],
        ['vic', 'restart', 'denied'],
        ['vic', 'config.edit', 'denied'],
      ],
    );
  });

  it('config: GET shows it, PATCH commits as the caller; an unknown resource or a key not set is refused', async () => {
    const before = await git(h.stateDir, ['rev-parse', 'HEAD']);
    const patched = await call('PATCH', '/api/v1/resources/greeter/config', tokens.dora!, {
      set: { MODE: 'fast' },
    });
    assert.equal(patched.status, 200);
    assert.equal(await git(h.stateDir, ['rev-list', '--count', `${before}..HEAD`]), '1');
    assert.equal(
      await git(h.stateDir, ['log', '-1', '--format=%an <%ae>|%s']),
      'dora <dora@hiy>|config: set MODE on port/greeter',
    );
    const shown = await call('GET', '/api/v1/resources/greeter/config', tokens.vic!);
    assert.equal((shown.json().env as Record<string, string>).MODE, 'fast');
    const unknown = await call('GET', '/api/v1/resources/nope/config', tokens.vic!);
    assert.equal(unknown.status, 404);
    const notSet = await call('PATCH', '/api/v1/resources/greeter/config', tokens.dora!, { unset: ['NOPE'] });
    assert.equal(notSet.status, 400);
    assert.equal(notSet.json().error?.code, 'CONFIG_KEY_NOT_SET');
  });

  it('exec: admin only, as over SSH; --user as {"user": U}', async () => {
    const path = '/api/v1/resources/greeter/exec';
    const denied = await call('POST', path, tokens.dora!, { command: ['id', '-u'] });
    assert.equal(denied.status, 403);
    const asRoot = await call('POST', path, tokens.ada!, { command: ['id', '-u'], user: 'root' });
    assert.equal(asRoot.status, 200);
    assert.deepEqual(asRoot.json(), { resource: 'port/greeter', exitCode: 0, output: '0\n' });
    const asNobody = await call('POST', path, tokens.ada!, { command: ['id', '-u'], user: '65534' });
    assert.equal(asNobody.status, 200);
    assert.equal(asNobody.json().output, '65534\n');
    const bad = await call('POST', path, tokens.ada!, { command: ['id'], user: '--privileged' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error?.code, 'EXEC_USER_INVALID');
    const audit = await readFile(join(h.dataDir, 'audit.log'), 'utf8').catch(() => '');
    assert.match(audit, /"action":"exec"/);
  });

  it('restart: refused while a config change is not applied; after apply it restarts', async () => {
    const pending = await call('POST', '/api/v1/resources/greeter/restart', tokens.dora!);
    assert.equal(pending.status, 409);
    assert.equal(pending.json().error?.code, 'NOT_CONVERGED');
    assert.equal((await h.hiy(['apply'])).code, 0);
    const r = await call('POST', '/api/v1/resources/greeter/restart', tokens.dora!);
    assert.equal(r.status, 200);
    assert.equal(r.json().ok, true);
    assert.equal((await h.get('greeter.test')).status, 200);
    // The restart kept the replaced container's output: ?previous=1 reads it (a view user may).
    const previous = await call('GET', '/api/v1/resources/greeter/logs?previous=1&tail=5', tokens.vic!);
    assert.equal(previous.status, 200);
    assert.equal(previous.json().resource, 'port/greeter');
    assert.equal(typeof previous.json().stdout, 'string');
    const refused = await call('GET', '/api/v1/resources/greeter/logs?previous=1&follow=1', tokens.vic!);
    assert.equal(refused.status, 400);
  });
});
