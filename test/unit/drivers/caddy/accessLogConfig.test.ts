// HIY's access log in Caddy's config: rendered, merged into a Caddy shared with another instance, read back, removed.
// biome-ignore-all lint/suspicious/noExplicitAny: these tests poke into untyped Caddy JSON on purpose
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessLogKey, renderAccessLog } from '../../../../src/drivers/caddy/accessLogConfig.js';
import {
  mergeOwned,
  ownedServerNames,
  parseOwned,
  rebaseOwned,
  renderProxy,
  tlsPolicyId,
  validateConfig,
} from '../../../../src/drivers/caddy/render.js';
import type { CaddyConfig } from '../../../../src/drivers/caddy/types.js';
import type { ProxyState } from '../../../../src/model/routing.js';

const state = (server: string, accessLog?: string): ProxyState => ({
  server,
  listen: [`127.0.0.1:${server === 'hiy' ? 8080 : 8081}`],
  tls: 'off',
  routes: [{ resource: 'port/web', host: `${server}.test`, path: '/', upstream: '127.0.0.1:20001' }],
  ...(accessLog ? { accessLog } : {}),
});

const merged = (s: ProxyState, existing: CaddyConfig | null) =>
  mergeOwned(existing, renderProxy(s), ownedServerNames(s.server), tlsPolicyId(s.server));

describe('access log config', () => {
  it('renders the server logs, a rolled JSON file without headers, addresses or queries, and reads it back', () => {
    const config = merged(state('hiy', '/d/access-log/access.log'), null) as any;
    assert.deepEqual(config.apps.http.servers.hiy.logs, { default_logger_name: 'hiy' });
    const log = config.logging.logs['hiy-access'];
    assert.equal(log.writer.filename, '/d/access-log/access.log');
    assert.equal(log.writer.roll_gzip, false);
    assert.ok(log.writer.roll_size_mb <= 2 && log.writer.roll_keep <= 2, 'the file stays small');
    assert.deepEqual(log.include, ['http.log.access.hiy']);
    for (const field of ['request>headers', 'resp_headers', 'request>remote_ip'])
      assert.equal(log.encoder.fields[field].filter, 'delete', field);
    assert.equal(log.encoder.fields['request>uri'].filter, 'regexp');
    assert.deepEqual(config.logging.logs.default, { exclude: ['http.log.access.hiy'] });
    assert.deepEqual(validateConfig(config), []);
    const parsed = parseOwned(config, 'hiy');
    assert.equal(parsed.pristine, true);
    assert.equal(parsed.state?.accessLog, '/d/access-log/access.log');
  });

  it("a second instance's load and removal never touch the first one's log or the user's default log", () => {
    const user: CaddyConfig = { logging: { logs: { default: { level: 'WARN' } } } };
    const one = merged(state('hiy', '/a/access.log'), user);
    const two = rebaseOwned(one, merged(state('hiy-two', '/b/access.log'), null), 'hiy-two') as any;
    assert.deepEqual(Object.keys(two.logging.logs).sort(), ['default', 'hiy-access', 'hiy-two-access']);
    assert.deepEqual(two.logging.logs.default, {
      level: 'WARN',
      exclude: ['http.log.access.hiy', 'http.log.access.hiy-two'],
    });
    assert.equal(parseOwned(two, 'hiy').pristine, true);
    assert.equal(parseOwned(two, 'hiy-two').pristine, true);
    // The first instance turns its access log off (and loads from a stale copy that lacks the second one's).
    const off = rebaseOwned(two, merged(state('hiy'), user), 'hiy') as any;
    assert.deepEqual(Object.keys(off.logging.logs).sort(), ['default', 'hiy-two-access']);
    assert.deepEqual(off.logging.logs.default, { level: 'WARN', exclude: ['http.log.access.hiy-two'] });
    assert.deepEqual(off.logging.logs['hiy-two-access'], renderAccessLog('hiy-two', '/b/access.log'));
    assert.equal(off.apps.http.servers.hiy.logs, undefined);
    assert.equal(parseOwned(off, 'hiy').pristine, true);
  });

  it('removes a default log it only made for its exclusion, with the logging block', () => {
    const on = merged(state('hiy', '/a/access.log'), null);
    const off = merged(state('hiy'), on) as any;
    assert.equal(off.logging, undefined);
  });

  it('reads a config without the log entry, or with the exclusion taken out by hand, as drift', () => {
    const config = merged(state('hiy', '/a/access.log'), null) as any;
    const noEntry = structuredClone(config);
    delete noEntry.logging.logs[accessLogKey('hiy')];
    assert.equal(parseOwned(noEntry, 'hiy').pristine, false);
    assert.equal(parseOwned(noEntry, 'hiy').state?.accessLog, undefined);
    const noExclude = structuredClone(config);
    delete noExclude.logging.logs.default;
    assert.equal(parseOwned(noExclude, 'hiy').pristine, false);
    // An older HIY's server (no logs at all) reads back pristine, without an access log: the plan adds it.
    const old = merged(state('hiy'), null);
    assert.deepEqual(parseOwned(old, 'hiy'), { present: true, state: state('hiy'), pristine: true });
  });
});
