// checkResources: rules that need several resources or fields at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import type { StateFile } from '../../../src/desired/types.js';

/** Parses inline YAML files (which must be valid) and cross-checks them. */
function check(...files: StateFile[]) {
  const parsed = parseStateFiles(files);
  assert.deepEqual(parsed.diagnostics, [], 'fixtures must parse');
  return checkResources(parsed.resources).map((d) => ({
    at: `${d.file}:${d.line}:${d.column}`,
    path: d.path,
    summary: d.summary,
    severity: d.severity,
  }));
}

const port = (name: string, spec = '') =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: nginx\n${spec}`;
const app = (name: string) =>
  `apiVersion: hiy/v1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n  source: { git: /src/${name} }\n`;
const user = (name: string, spec = '') =>
  `apiVersion: hiy/v1\nkind: User\nmetadata:\n  name: ${name}\nspec:\n${spec || '  {}\n'}`;

test('valid resources give no diagnostics', () => {
  assert.deepEqual(
    check({ path: 'a.yaml', text: `${port('web')}---\n${app('blog')}---\n${user('web')}` }),
    [],
  );
});

test('App and Port share one namespace: reported at each, naming the other', () => {
  const ds = check({ path: 'a.yaml', text: port('web') }, { path: 'b.yaml', text: app('web') });
  assert.deepEqual(ds, [
    {
      at: 'a.yaml:4:9',
      path: 'metadata.name',
      summary: 'duplicate name "web": also app/web at b.yaml:4',
      severity: 'error',
    },
    {
      at: 'b.yaml:4:9',
      path: 'metadata.name',
      summary: 'duplicate name "web": also port/web at a.yaml:4',
      severity: 'error',
    },
  ]);
});

test('duplicate users', () => {
  const ds = check({ path: 'u.yaml', text: `${user('alice')}---\n${user('alice')}` });
  assert.deepEqual(
    ds.map((d) => d.summary),
    [
      'duplicate name "alice": also user/alice at u.yaml:11',
      'duplicate name "alice": also user/alice at u.yaml:4',
    ],
  );
});

test('host ports clash on same port+protocol when addresses overlap', () => {
  const ds = check(
    {
      path: 'a.yaml',
      text: port('a', '  ports:\n    - { containerPort: 53, hostPort: 5353, protocol: udp }\n'),
    },
    {
      path: 'b.yaml',
      text: port(
        'b',
        [
          '  ports:',
          '    - { containerPort: 53, hostPort: 5353 }', // tcp: no clash with udp
          '    - { containerPort: 54, hostPort: 5353, protocol: udp, hostIP: 127.0.0.1 }', // unset IP = all: clash
          '    - { containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1 }',
          '    - { containerPort: 81, hostPort: 8080, hostIP: 127.0.0.2 }', // other address: no clash
          '    - { containerPort: 82, hostPort: 8080, hostIP: 127.0.0.1 }', // same entry twice in one resource
          '',
        ].join('\n'),
      ),
    },
  );
  assert.deepEqual(ds, [
    {
      at: 'b.yaml:9:38',
      path: 'spec.ports[1].hostPort',
      summary: 'host port 5353/udp is already published by port/a (a.yaml:8)',
      severity: 'error',
    },
    {
      at: 'b.yaml:12:38',
      path: 'spec.ports[4].hostPort',
      summary: 'host port 8080/tcp is already published by spec.ports[2]',
      severity: 'error',
    },
  ]);
});

test('two routes claiming the same host+path, across and within resources', () => {
  const ds = check(
    { path: 'a.yaml', text: port('a', '  routes:\n    - { host: x.example.com, port: 80 }\n') },
    {
      path: 'b.yaml',
      text: port(
        'b',
        '  routes:\n    - { host: x.example.com, path: /, port: 80 }\n    - { host: x.example.com, path: /api, port: 80 }\n    - { host: x.example.com, path: /api, port: 81 }\n',
      ),
    },
  );
  assert.deepEqual(
    ds.map((d) => `${d.at} ${d.path} ${d.summary}`),
    [
      'b.yaml:8:15 spec.routes[0].host route x.example.com/ is already claimed by port/a (a.yaml:8)',
      'b.yaml:10:15 spec.routes[2].host route x.example.com/api is already claimed by spec.routes[1]',
    ],
  );
});

test('duplicate volume names within one resource', () => {
  const ds = check({
    path: 'v.yaml',
    text: port('a', '  volumes:\n    - { name: data, mountPath: /a }\n    - { name: data, mountPath: /b }\n'),
  });
  assert.deepEqual(ds, [
    {
      at: 'v.yaml:9:15',
      path: 'spec.volumes[1].name',
      summary: 'duplicate volume name "data" (also spec.volumes[0])',
      severity: 'error',
    },
  ]);
});

test('with expose, route and health check ports must be exposed or published', () => {
  const spec = [
    '  expose: [8080]',
    '  ports:',
    '    - { containerPort: 25, hostPort: 2525 }',
    '  routes:',
    '    - { host: a.example.com, port: 8080 }',
    '    - { host: b.example.com, port: 25 }',
    '    - { host: c.example.com, port: 9090 }',
    '  healthcheck:',
    '    http: { port: 9091 }',
    '',
  ].join('\n');
  const ds = check({ path: 'e.yaml', text: port('a', spec) });
  assert.deepEqual(ds, [
    {
      at: 'e.yaml:13:36',
      path: 'spec.routes[2].port',
      summary: 'route to port 9090, which the container does not expose (expose: [8080])',
      severity: 'error',
    },
    {
      at: 'e.yaml:15:19',
      path: 'spec.healthcheck.http.port',
      summary: 'health check to port 9091, which the container does not expose (expose: [8080])',
      severity: 'error',
    },
  ]);
});

test('without expose, any route port is fine', () => {
  assert.deepEqual(
    check({ path: 'e.yaml', text: port('a', '  routes:\n    - { host: a.example.com, port: 9090 }\n') }),
    [],
  );
});

test('grants naming apps that do not exist are warnings', () => {
  const grants =
    '  grants:\n    - { app: blog, role: deploy }\n    - { app: nope, role: view }\n    - { app: "*", role: view }\n';
  const ds = check({ path: 'u.yaml', text: `${app('blog')}---\n${user('alice', grants)}` });
  assert.deepEqual(ds, [
    {
      at: 'u.yaml:15:14',
      path: 'spec.grants[1].app',
      summary: 'grant for app "nope", which does not exist',
      severity: 'warning',
    },
  ]);
});

test('a grant naming a Port as if it were an App is a warning saying it gives no access', () => {
  const grants = '  grants:\n    - { app: db, role: admin }\n';
  const parsed = parseStateFiles([{ path: 'u.yaml', text: `${port('db')}---\n${user('mal', grants)}` }]);
  const ds = checkResources(parsed.resources);
  assert.deepEqual(
    ds.map((d) => [d.severity, d.path, d.summary]),
    [['warning', 'spec.grants[0].app', 'grant for app "db", which does not exist']],
  );
  assert.match(ds[0]!.detail ?? '', /port\/db is a Port: this grant gives no access to it/);
});

const scheduledPort = (name: string, snapshots: string, volumes = true) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: nginx\n${
    volumes ? '  volumes:\n    - { name: data, mountPath: /data }\n' : ''
  }  snapshots:\n${snapshots}`;

test('snapshot schedules: a bad cron at its position, and a warning for a schedule without volumes', () => {
  const parsed = parseStateFiles([
    {
      path: 'a.yaml',
      text: `${scheduledPort('db', '    schedule: "every night"\n')}---\n${scheduledPort('web', '    schedule: "0 3 * * *"\n', false)}`,
    },
  ]);
  assert.deepEqual(parsed.diagnostics, []);
  const ds = checkResources(parsed.resources).map(
    (d) => `${d.file}:${d.line} ${d.severity} ${d.path} ${d.summary}`,
  );
  assert.equal(ds.length, 2);
  assert.match(ds[0]!, /^a\.yaml:10 error spec\.snapshots\.schedule "every night" is not a cron expression/);
  assert.match(ds[1]!, /warning spec\.snapshots snapshots are scheduled but the resource has no volumes/);
});

test('jobs: a schedule must be cron (5 or 6 fields), names unique per resource; reported at file:line', () => {
  const ds = check({
    path: 'jobs.yaml',
    text: port(
      'web',
      '  jobs:\n    - name: a\n      schedule: "every day"\n      command: ["x"]\n    - name: a\n      schedule: "*/2 * * * * *"\n      command: ["y"]\n',
    ),
  });
  assert.deepEqual(
    ds.map((d) => [d.at, d.path, d.summary.split(' (')[0]]),
    [
      ['jobs.yaml:9:17', 'spec.jobs[0].schedule', '"every day" is not a cron expression'],
      ['jobs.yaml:11:13', 'spec.jobs[1].name', 'duplicate job name "a"'],
    ],
  );
});
