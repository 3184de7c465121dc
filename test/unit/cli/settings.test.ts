// One set of settings: DATA_DIR/settings.env under the environment under flags, `hiy settings`, and the check
// of a command's settings against the running daemon's.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lastingSettingsEnv, settingsEnvironment } from '../../../src/cli/config.js';
import { runCli } from '../../../src/cli/run.js';
import { DEFAULT_RESYNC, DEFAULT_SETTINGS } from '../../../src/model/settings.js';
import { settingsEnv } from '../../../src/push/self.js';
import { parseSettingsFile, settingsFileValue } from '../../../src/store/settingsFile.js';

function cli(env: NodeJS.ProcessEnv) {
  const o = { out: '', err: '', engines: 0 };
  const deps = {
    io: {
      out(t: string) {
        o.out += t;
      },
      err(t: string) {
        o.err += t;
      },
      env,
    },
    makeEngine: () => {
      o.engines++;
      return Promise.reject(new Error('no engine in this test'));
    },
  };
  return { o, run: (...argv: string[]) => runCli(argv, deps) };
}

describe('the settings file', () => {
  it('reads NAME=value lines as sh would, and reports every problem with its line', () => {
    const ok = parseSettingsFile(
      [
        '# the demo',
        'HIY_TLS=off',
        "export HIY_RESYNC='*/30 * * * * *'  # every 30 s",
        'HIY_DASHBOARD_HOST="hiy.localhost"',
        '',
      ].join('\n'),
      '/d/settings.env',
    );
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(Object.fromEntries([...ok.values].map(([k, v]) => [k, v.value])), {
      HIY_TLS: 'off',
      HIY_RESYNC: '*/30 * * * * *',
      HIY_DASHBOARD_HOST: 'hiy.localhost',
    });
    const bad = parseSettingsFile(
      'HIY_TLS=off\nnonsense\nPATH=/x\nHIY_TLS=acme\nHIY_STATE=a b\n',
      '/d/s.env',
    );
    assert.deepEqual(bad.problems, [
      '/d/s.env:2: expected NAME=value, not "nonsense"',
      '/d/s.env:3: PATH: only HIY_* settings belong in this file',
      '/d/s.env:4: HIY_TLS is already set on line 1',
      "/d/s.env:5: HIY_STATE: quote the value ('…') if it has spaces, quotes or shell characters",
    ]);
  });

  it('writes values that read back the same', () => {
    for (const v of ['off', '0 * * * * *', "it's", '/var/lib/hiy/demo/state', '', 'a"b$c'])
      assert.equal(parseSettingsFile(`HIY_X=${settingsFileValue(v)}`, 'f').values.get('HIY_X')?.value, v);
  });
});

describe('settings from flags, environment and DATA_DIR/settings.env', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-settings-'));
    await writeFile(
      join(dir, 'settings.env'),
      `HIY_STATE=${dir}/state\nHIY_TLS=off\nHIY_DASHBOARD_HOST=hiy.localhost\nHIY_CADDY_ADMIN=http://127.0.0.1:1\n`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a flag beats the environment, which beats the file, which beats the default', () => {
    const e = settingsEnvironment(
      { 'caddy-admin': 'http://127.0.0.1:3' },
      { HIY_DATA_DIR: dir, HIY_TLS: 'internal', HIY_CADDY_ADMIN: 'http://127.0.0.1:2' },
    );
    assert.equal(e.env.HIY_TLS, 'internal');
    assert.equal(e.env.HIY_CADDY_ADMIN, 'http://127.0.0.1:3');
    assert.equal(e.env.HIY_DASHBOARD_HOST, 'hiy.localhost');
    assert.equal(e.env.HIY_STATE, `${dir}/state`);
    assert.equal(e.sources.HIY_TLS, 'env');
    assert.equal(e.sources.HIY_CADDY_ADMIN, 'flag');
    assert.equal(e.sources.HIY_DASHBOARD_HOST, 'file');
    assert.equal(e.sources.HIY_INSTANCE, 'default');
    assert.deepEqual(e.file, { path: join(dir, 'settings.env'), exists: true });
    // What a wrapper or forced command keeps: the data directory and what the file does not say.
    assert.deepEqual(
      lastingSettingsEnv(
        {
          HIY_DATA_DIR: dir,
          HIY_TLS: 'internal',
          HIY_DASHBOARD_HOST: 'hiy.localhost',
          HIY_STATE_BRANCH: 'main',
        },
        e,
      ),
      { HIY_DATA_DIR: dir, HIY_TLS: 'internal' },
    );
  });

  it('a child hiy (a hook, git-shell) is given the dashboard host: a push no longer drops its route', () => {
    const env = settingsEnv(
      {
        ...DEFAULT_SETTINGS,
        stateRepo: '/s',
        dataDir: '/d',
        tls: 'off',
        dashboardHost: 'hiy.localhost',
        apiAddr: '127.0.0.1:7070',
      },
      {},
    );
    assert.equal(env.HIY_DASHBOARD_HOST, 'hiy.localhost');
    assert.equal(env.HIY_API_ADDR, '127.0.0.1:7070');
    assert.equal(env.HIY_TLS, 'off');
  });

  it('a file with problems is refused whole, each problem with file:line', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'hiy-settings-bad-'));
    try {
      await writeFile(join(bad, 'settings.env'), 'HIY_DATA_DIR=/x\nHIY_TSL=off\nHIY_STATE=state\n');
      assert.throws(
        () => settingsEnvironment({}, { HIY_DATA_DIR: bad }),
        (err: Error) => {
          assert.match(
            err.message,
            /settings\.env:1: HIY_DATA_DIR: the file is found through the data directory/,
          );
          assert.match(err.message, /settings\.env:2: HIY_TSL is not a setting of hiy/);
          assert.match(err.message, /settings\.env:3: HIY_STATE must be an absolute path/);
          return true;
        },
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('hiy settings --json: each value and its source; hiy --help gives the daemon’s resync default', async () => {
    const { o, run } = cli({ HIY_DATA_DIR: dir, HIY_INSTANCE: 'settingstest' });
    assert.equal(await run('settings', '--json'), 0, o.err);
    const view = JSON.parse(o.out) as {
      file: { path: string; exists: boolean };
      settings: { name: string; value: string | null; source: string }[];
      daemon: unknown;
    };
    const by = Object.fromEntries(view.settings.map((s) => [s.name, s]));
    assert.deepEqual(by.HIY_TLS, { name: 'HIY_TLS', value: 'off', source: 'file', default: 'acme' });
    assert.equal(by.HIY_INSTANCE?.source, 'env');
    assert.equal(by.HIY_RESYNC?.value, null);
    assert.equal(by.HIY_RESYNC?.source, 'default');
    assert.equal(view.daemon, null);
    assert.equal(o.engines, 0, 'no engine is built to show settings');
    const human = cli({ HIY_DATA_DIR: dir });
    assert.equal(await human.run('settings'), 0);
    assert.match(human.o.out, /HIY_DASHBOARD_HOST\s+hiy\.localhost\s+file/);
    const help = cli({});
    await help.run('daemon', '--help');
    assert.ok(help.o.out.includes(`"${DEFAULT_RESYNC}"`), help.o.out);
    assert.ok(help.o.out.includes(`HIY_RESYNC             hiy daemon: resync schedule`), help.o.out);
    assert.ok(help.o.out.includes(`(${DEFAULT_RESYNC})`), 'the settings block says the same default');
  });
});

describe('a command whose settings differ from the running daemon’s', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-settings-daemon-'));
    await writeFile(join(dir, 'settings.env'), `HIY_STATE=${dir}/state\nHIY_TLS=off\n`);
    // A daemon on this data directory: a live process (this test's parent) holds daemon.pid.
    const pid = process.ppid;
    await writeFile(
      join(dir, 'daemon.pid'),
      JSON.stringify({ pid, token: 't', since: new Date().toISOString() }),
    );
    await writeFile(
      join(dir, 'daemon.json'),
      JSON.stringify({
        pid,
        settings: {
          stateRepo: `${dir}/state`,
          branch: 'main',
          caddyAdmin: 'http://127.0.0.1:2019',
          httpAddr: ':80',
          httpsAddr: ':443',
          tls: 'off',
          instance: 'default',
          upstreamPorts: '20000-29999',
          dashboardHost: 'hiy.localhost',
          apiAddr: '127.0.0.1:7070',
        },
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('hiy apply says how they differ and refuses, unless --force-settings', async () => {
    const { o, run } = cli({ HIY_DATA_DIR: dir });
    assert.equal(await run('apply'), 1);
    assert.match(o.err, /hiy daemon running on this data directory \(pid \d+\) has other settings/);
    assert.match(o.err, /HIY_DASHBOARD_HOST: the daemon has hiy\.localhost, this command unset/);
    assert.match(o.err, /HIY_API_ADDR: the daemon has 127\.0\.0\.1:7070, this command unset/);
    assert.doesNotMatch(o.err, /HIY_TLS/, 'only what differs');
    assert.equal(o.engines, 0, 'refused before anything is built');
    const forced = cli({ HIY_DATA_DIR: dir });
    assert.equal(await forced.run('apply', '--force-settings'), 1);
    assert.equal(forced.o.engines, 1, 'forced: it goes on');
  });

  it('hiy plan and config set --dry-run only warn; the same settings pass silently', async () => {
    const plan = cli({ HIY_DATA_DIR: dir });
    await plan.run('plan');
    assert.match(plan.o.err, /warning: the hiy daemon \(pid \d+\) has other settings/);
    assert.equal(plan.o.engines, 1);
    const same = cli({ HIY_DATA_DIR: dir, HIY_DASHBOARD_HOST: 'hiy.localhost' });
    await same.run('apply');
    assert.doesNotMatch(same.o.err, /other settings/);
    assert.equal(same.o.engines, 1);
    const show = cli({ HIY_DATA_DIR: dir });
    assert.equal(await show.run('config', 'blog'), 1);
    assert.doesNotMatch(show.o.err, /other settings/, 'reading a config checks nothing');
    const dry = cli({ HIY_DATA_DIR: dir });
    await dry.run('config', 'set', 'blog', 'A=1', '--dry-run');
    assert.match(dry.o.err, /warning/);
  });
});
