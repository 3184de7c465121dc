// Who may sign in and act, on a real API server, git and Caddy: a User removed by the head commit is refused at
// once on every surface, even when the commit also holds an invalid file.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { type ApiServer, startApiServer } from '../../src/server/server.js';
import { TestController } from '../support/controller.js';
import { type Harness, startHarness } from '../support/hiy.js';

const ALICE = `apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec:
  grants: [{ app: "*", role: admin }]
`;
const BOB = `apiVersion: hiy/v1
kind: User
metadata: { name: bob }
spec:
  grants: [{ app: "*", role: deploy }]
`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a fresh connection, from `localAddress` when given. */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('sign-in and sessions', () => {
  let h: Harness;
  let server: ApiServer;
  const tokens: Record<string, string> = {};

  /** A sign-in link of `hiy login USER`: its token. */
  const link = async (user: string): Promise<string> => {
    const r = await h.hiy(['login', user]);
    assert.equal(r.code, 0, r.err);
    return new URL(r.out.trimEnd().split('\n').at(-1)!).searchParams.get('t')!;
  };

  /** Uses a link over HTTP as the sign-in form does; the session cookie when one was opened. */
  const useLink = async (t: string, base = server.url, headers: Record<string, string> = {}) => {
    const r = await call(`${base}/login/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: `t=${t}`,
    });
    const cookie = String(r.headers['set-cookie'] ?? '').match(/hiy_session=(hiys_[^;]+)/)?.[1];
    return { reply: r, cookie };
  };

  const overview = (cookie: string) =>
    call(`${server.url}/`, { headers: { cookie: `hiy_session=${cookie}` } });

  before(async () => {
    h = await startHarness({ 'alice.yaml': ALICE, 'bob.yaml': BOB });
    for (const u of ['alice', 'bob']) {
      const r = await h.hiy(['token', 'create', u]);
      assert.equal(r.code, 0, r.err);
      tokens[u] = r.out.trim();
    }
    const engine = await realEngine(settingsFrom({}, h.env, true), h.env);
    server = await startApiServer({ controller: new TestController(engine), engine, addr: '127.0.0.1:0' });
  });

  after(async () => {
    await server?.close();
    await h?.cleanup();
  });

  it('a User removed by a commit that also holds an invalid file is refused at once: API, dashboard, links, SSH', async () => {
    const api = (user: string) =>
      call(`${server.url}/api/v1/status`, { headers: { authorization: `Bearer ${tokens[user]}` } });
    assert.equal((await api('bob')).status, 200);
    const { cookie } = await useLink(await link('bob'));
    assert.ok(cookie, 'bob signed in');
    assert.equal((await overview(cookie)).status, 200);
    const pendingLink = await link('bob');

    // No apply runs: the head commit alone decides, although it does not load as a whole.
    await h.commit(
      { 'bob.yaml': null, 'broken.yaml': 'apiVersion: hiy/v1\nkind: [' },
      'remove bob, break a file',
    );
    const validate = await h.hiy(['validate']);
    assert.notEqual(validate.code, 0, 'the head does not validate');

    const refused = await api('bob');
    assert.equal(refused.status, 401);
    assert.match(refused.body, /user bob is not in the state repo any more/);
    const page = await overview(cookie);
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login');
    const late = await useLink(pendingLink);
    assert.equal(late.reply.status, 410);
    assert.equal(late.cookie, undefined);
    const ssh = await h.hiy(['git-shell', 'bob'], { SSH_ORIGINAL_COMMAND: 'login' });
    assert.equal(ssh.code, 1);
    // What was bob's is dropped, so it cannot come back should a User bob be added again.
    const sessions = JSON.parse(await readFile(join(h.dataDir, 'sessions.json'), 'utf8'));
    assert.ok(!sessions.some((s: { user: string }) => s.user === 'bob'));

    // The others keep working: the invalid file locks nobody else out.
    assert.equal((await api('alice')).status, 200);
    const alice = await useLink(await link('alice'));
    assert.ok(alice.cookie);
    assert.equal((await overview(alice.cookie)).status, 200);
    await h.commit({ 'broken.yaml': null }, 'fix');
  });
});
