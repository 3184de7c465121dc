// Backup resources in a state repo: schema errors and cross-checks, each at file:line with its field path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';

const port = 'apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: db\nspec:\n  image: nginx\n';
const backup = (name: string, spec: string) =>
  `apiVersion: hiy/v1\nkind: Backup\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

test('a valid Backup parses with no diagnostics', () => {
  const parsed = parseStateFiles([
    {
      path: 'b.yaml',
      text: `${port}---\n${backup(
        'offsite',
        '  repository: /mnt/usb/hiy\n  passwordSecret: restic-password\n  schedule: "0 3 * * *"\n  keep: {daily: 7, weekly: 4}\n  drill: {schedule: "0 4 * * 0"}\n  resources: [port/db]\n',
      )}`,
    },
  ]);
  assert.deepEqual(parsed.diagnostics, []);
  assert.deepEqual(checkResources(parsed.resources), []);
  const b = parsed.resources.find((r) => r.resource.kind === 'Backup');
  assert.equal(b?.resource.kind, 'Backup');
});

test('schema problems are reported all at once, at their lines', () => {
  const parsed = parseStateFiles([
    {
      path: 'b.yaml',
      text: backup(
        'offsite',
        '  repository: relative/path\n  passwordSecret: "bad name!"\n  keep: {daily: 0}\n',
      ),
    },
  ]);
  const got = parsed.diagnostics.map((d) => `${d.file}:${d.line} ${d.path}`);
  assert.deepEqual(got.sort(), [
    'b.yaml:6 spec.repository',
    'b.yaml:7 spec.passwordSecret',
    'b.yaml:8 spec.keep.daily',
  ]);
});

test('bad schedules, unknown resources and a shared repository are cross-check errors', () => {
  const parsed = parseStateFiles([
    { path: 'a.yaml', text: port },
    {
      path: 'b.yaml',
      text: `${backup('one', '  repository: /srv/r\n  passwordSecret: p\n  schedule: "every day"\n  drill: {schedule: "0 4 * *"}\n  resources: [port/db, port/nope]\n')}---\n${backup('two', '  repository: /srv/r\n  passwordSecret: p\n')}`,
    },
  ]);
  assert.deepEqual(parsed.diagnostics, []);
  const got = checkResources(parsed.resources).map((d) => `${d.file}:${d.line} ${d.path}: ${d.summary}`);
  assert.equal(got.length, 4, got.join('\n'));
  assert.match(got[0]!, /^b\.yaml:8 spec\.schedule: "every day" is not a cron expression/);
  assert.match(got[1]!, /^b\.yaml:9 spec\.drill\.schedule: "0 4 \* \*" is not a cron expression \(4 field/);
  assert.match(got[2]!, /^b\.yaml:10 spec\.resources\[1\]: port\/nope is not an App or Port/);
  assert.match(got[3]!, /^b\.yaml:17 spec\.repository: \/srv\/r is also the repository of backup\/one/);
});

test('spec.sftp: validated by the schema, and only for an sftp: repository', () => {
  const ok = parseStateFiles([
    {
      path: 'b.yaml',
      text: backup(
        'offsite',
        '  repository: sftp:backup@nas:/srv/hiy\n  passwordSecret: p\n  sftp: {identitySecret: k, knownHostsSecret: kh, port: 2222}\n',
      ),
    },
  ]);
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(checkResources(ok.resources), []);
  const bad = parseStateFiles([
    {
      path: 'b.yaml',
      text: backup(
        'offsite',
        '  repository: /srv/r\n  passwordSecret: p\n  sftp: {port: 0, identitySecret: "a b", user: x}\n',
      ),
    },
  ]);
  assert.deepEqual(bad.diagnostics.map((d) => `${d.file}:${d.line} ${d.path}`).sort(), [
    'b.yaml:8 spec.sftp.identitySecret',
    'b.yaml:8 spec.sftp.port',
    'b.yaml:8 spec.sftp.user',
  ]);
  const local = parseStateFiles([
    {
      path: 'b.yaml',
      text: backup('offsite', '  repository: /srv/r\n  passwordSecret: p\n  sftp: {port: 22}\n'),
    },
  ]);
  assert.deepEqual(local.diagnostics, []);
  const [d] = checkResources(local.resources);
  assert.equal(`${d?.file}:${d?.line} ${d?.path}`, 'b.yaml:8 spec.sftp');
  assert.match(d?.summary ?? '', /not an sftp: repository/);
});

test('spec.rest: only for a rest: repository, and a password in the URL is refused (it would be in git)', () => {
  const check = (spec: string) =>
    checkResources(parseStateFiles([{ path: 'b.yaml', text: backup('offsite', spec) }]).resources).map(
      (d) => `${d.file}:${d.line} ${d.path} ${d.summary}`,
    );
  assert.deepEqual(
    check(
      '  repository: rest:https://nas.lan:8000/hiy\n  passwordSecret: p\n  rest: {credentialsSecret: login}\n',
    ),
    [],
  );
  assert.deepEqual(check('  repository: rest:https://hiy@nas.lan:8000/hiy\n  passwordSecret: p\n'), []);
  const [inUrl] = check('  repository: rest:https://hiy:hunter2@nas.lan:8000/hiy\n  passwordSecret: p\n');
  assert.match(inUrl ?? '', /^b\.yaml:6 spec\.repository the repository URL holds a password/);
  assert.ok(!(inUrl ?? '').includes('hunter2'), 'the password is not repeated');
  const [local] = check('  repository: /srv/r\n  passwordSecret: p\n  rest: {credentialsSecret: login}\n');
  assert.match(
    local ?? '',
    /^b\.yaml:8 spec\.rest rest is set but the repository \/srv\/r is not a rest: repository/,
  );
});
