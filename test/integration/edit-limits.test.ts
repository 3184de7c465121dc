// Every edit surface parses state files within the limits of hiy validate: a megabyte of `[` in the file of the
// resource edited fails fast with file:line through `hiy config set --dry-run`, the API and the dashboard.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { TestController } from '../support/controller.js';
import { git, type Harness, startHarness, webPort } from '../support/hiy.js';

const ALICE = `apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec:
  grants: [{ app: "*", role: admin }]
`;

/** Exactly 1 MiB (the largest state file validate reads): a comment naming the Port, then `[` to the end. */
const BOMB = `# greeter\n${'['.repeat(1024 * 1024 - 10)}`;
const LIMIT = /bomb\.yaml:2:\d+: YAML nested more than 64 levels deep; the file was not parsed/;
/** The old path took over 60 s (and 1.9 GB); the bounded one stops at the 65th `[`. */
const FAST_MS = 15_000;

function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        const cookie = String(res.headers['set-cookie'] ?? '').match(/hiy_session=(hiys_[^;]+)/)?.[1];
        resolve({ status: res.statusCode ?? 0, body: text, ...(cookie ? { cookie } : {}) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('edits of state files are bounded', () => {
  let h: Harness;
  let server: ApiServer;
  let token: string;

  before(async () => {
    h = await startHarness({ 'alice.yaml': ALICE, 'greeter.yaml': webPort('greeter', 'greeter.test') });
    const r = await h.hiy(['token', 'create', 'alice']);
    assert.equal(r.code, 0, r.err);
    token = r.out.trim();
    await h.commit({ 'bomb.yaml': BOMB }, 'a megabyte of [');
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
  });

  after(async () => {
    await server?.close();
    await h?.cleanup();
  });

  it('hiy config set --dry-run: a clear error with file and line, fast, and nothing committed', async () => {
    const head = await git(h.stateDir, ['rev-parse', 'main']);
    const started = Date.now();
    const r = await h.hiy(['config', 'set', 'greeter', 'A=1', '--dry-run']);
    const took = Date.now() - started;
    assert.notEqual(r.code, 0);
    assert.match(r.err, LIMIT);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    assert.ok(took < FAST_MS, `took ${took} ms`);
    const again = await h.hiy(['config', 'set', 'greeter', 'A=1']);
    assert.match(again.err, LIMIT);
    assert.equal(await git(h.stateDir, ['rev-parse', 'main']), head);
  });

  it('PATCH /api/v1/resources/greeter/config: 400 with the same error', async () => {
    const started = Date.now();
    const r = await call(
      `${server.url}/api/v1/resources/greeter/config`,
      'PATCH',
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({ set: { A: '1' }, dryRun: true }),
    );
    assert.ok(Date.now() - started < FAST_MS);
    assert.equal(r.status, 400, r.body);
    assert.equal(JSON.parse(r.body).error.code, 'EDIT_YAML_INVALID');
    assert.match(r.body, LIMIT);
  });

  it("the dashboard's edit page shows the error instead of the form", async () => {
    const login = await h.hiy(['login', 'alice']);
    const t = new URL(login.out.trimEnd().split('\n').at(-1)!).searchParams.get('t')!;
    const signedIn = await call(
      `${server.url}/login/link`,
      'POST',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `t=${t}`,
    );
    assert.ok(signedIn.cookie);
    const started = Date.now();
    const page = await call(`${server.url}/r/port/greeter/edit`, 'GET', {
      cookie: `hiy_session=${signedIn.cookie}`,
    });
    assert.ok(Date.now() - started < FAST_MS);
    assert.equal(page.status, 200);
    assert.match(page.body, /bomb\.yaml:2:\d+: YAML nested more than 64 levels deep/);
    assert.doesNotMatch(page.body, /<form method="post" action="\/r\/port\/greeter\/edit"/);
  });
});
