// parseStateFiles: YAML → validated resources, every problem with file:line:column and field path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStateFiles } from '../../../src/desired/parse.js';
import { formatDiagnostic } from '../../../src/model/diagnostics.js';

const show = (ds: { severity: string }[]) => ds.map((d) => formatDiagnostic(d as never)).join('\n');

describe('valid resources', () => {
  test('Port, App and User with defaults applied', () => {
    const text = `apiVersion: hiy/v1
kind: Port
metadata:
  name: greeter
spec:
  image: localhost/example/greeter:1
  routes:
    - host: greeter.example.com
      port: 8080
---
apiVersion: hiy/v1
kind: App
metadata: { name: blog }
spec:
  source: { git: ../src/blog }
---
apiVersion: hiy/v1
kind: User
metadata: { name: alice }
spec: {}
`;
    const { resources, diagnostics } = parseStateFiles([{ path: 'all.yaml', text }]);
    assert.deepEqual(diagnostics, []);
    assert.equal(resources.length, 3);
    const [port, app, user] = resources;
    assert.equal(port!.resource.kind, 'Port');
    assert.equal(port!.line, 1);
    assert.equal(port!.file, 'all.yaml');
    if (port!.resource.kind !== 'Port') throw new Error('not a Port');
    assert.equal(port!.resource.spec.restart, 'unless-stopped');
    assert.equal(port!.resource.spec.stopGracePeriod, '10s');
    assert.deepEqual(port!.resource.spec.routes, [{ host: 'greeter.example.com', path: '/', port: 8080 }]);
    assert.deepEqual(port!.positions?.get('spec.routes[0].port'), { line: 9, column: 13 });
    assert.equal(app!.line, 11);
    if (app!.resource.kind !== 'App') throw new Error('not an App');
    assert.deepEqual(app!.resource.spec.source, { git: '../src/blog', branch: 'main' });
    assert.deepEqual(app!.resource.spec.build, { context: '.' });
    assert.equal(user!.line, 17);
    assert.deepEqual(user!.resource.spec, { sshKeys: [], grants: [] });
  });

  test('empty documents and comment-only files are ignored', () => {
    const r = parseStateFiles([
      { path: 'a.yaml', text: '---\n---\n# nothing here\n---\n' },
      { path: 'b.yml', text: '' },
    ]);
    assert.deepEqual(r, { resources: [], diagnostics: [] });
  });
});

describe('invalid resources', () => {
  const broken = `apiVersion: hiy/v1
kind: Port
metadata:
  name: Greeter_1
spec:
  image: nginx
  foo: 1
  ports:
    - containerPort: "80"
      hostPort: 8080
  healthcheck:
    tcp: { port: 80 }
    interval: soon
---
apiVersion: hiy/v2
kind: Port
metadata: { name: second }
spec: { image: nginx }
---
apiVersion: hiy/v1
kind: Service
metadata: { name: third }
---
apiVersion: hiy/v1
kind: Port
metadata: { name: fourth }
spec:
  volumes:
    - { name: data, mountPath: /data }
---
- just
- a list
`;
  const syntax = 'apiVersion: hiy/v1\nkind: Port\nmetadata: { name: x\n';
  const { resources, diagnostics } = parseStateFiles([
    { path: 'ports.yaml', text: broken },
    { path: 'bad.yaml', text: syntax },
  ]);
  const find = (file: string, line: number) => diagnostics.filter((d) => d.file === file && d.line === line);

  test('nothing invalid is returned as a resource', () => {
    assert.deepEqual(resources, [], show(diagnostics));
  });

  test('all problems are reported, each with a position', () => {
    for (const d of diagnostics) {
      assert.equal(d.severity, 'error');
      assert.ok(d.file && d.line && d.column, formatDiagnostic(d));
    }
    assert.equal(diagnostics.length, 9, show(diagnostics));
  });

  test('bad name at the value', () => {
    const [d] = find('ports.yaml', 4);
    assert.equal(d?.path, 'metadata.name');
    assert.equal(d?.column, 9);
    assert.match(d!.summary, /DNS label/);
    assert.equal(d?.resource, 'port/Greeter_1');
  });

  test('unknown key at the key, with the allowed fields', () => {
    const [d] = find('ports.yaml', 7);
    assert.equal(d?.summary, 'unknown field "foo"');
    assert.equal(d?.path, 'spec.foo');
    assert.equal(d?.column, 3);
    assert.match(d!.detail!, /allowed fields: image, command/);
  });

  test('bad port type reads well', () => {
    const [d] = find('ports.yaml', 9);
    assert.equal(d?.summary, 'expected number, got string');
    assert.equal(d?.path, 'spec.ports[0].containerPort');
    assert.equal(d?.column, 22);
  });

  test('bad duration', () => {
    const [d] = find('ports.yaml', 13);
    assert.equal(d?.path, 'spec.healthcheck.interval');
    assert.match(d!.summary, /must be a duration/);
    assert.equal(d?.column, 15);
  });

  test('wrong apiVersion', () => {
    const [d] = find('ports.yaml', 15);
    assert.equal(d?.summary, 'unknown apiVersion "hiy/v2"');
    assert.equal(d?.path, 'apiVersion');
    assert.equal(d?.column, 13);
  });

  test('unknown kind names the kinds that exist', () => {
    const [d] = find('ports.yaml', 21);
    assert.equal(d?.summary, 'unknown kind "Service"');
    assert.match(d!.detail!, /App, Backup, Notifier, Port, User/);
  });

  test('missing field points at the parent mapping', () => {
    const [d] = find('ports.yaml', 28);
    assert.equal(d?.summary, 'missing required field "image"');
    assert.equal(d?.path, 'spec');
    assert.equal(d?.column, 3);
    assert.equal(d?.resource, 'port/fourth');
  });

  test('a document that is not a mapping', () => {
    const [d] = find('ports.yaml', 31);
    assert.match(d!.summary, /must be a mapping, got a list/);
  });

  test('YAML syntax error in another file, with its position', () => {
    const ds = diagnostics.filter((d) => d.file === 'bad.yaml');
    assert.equal(ds.length, 1, show(ds));
    assert.match(ds[0]!.summary, /^YAML syntax error: /);
    assert.equal(ds[0]!.line, 4);
  });
});

test('one unknown-field diagnostic per key, with a did-you-mean', () => {
  const text = `apiVersion: hiy/v1
kind: Port
metadata: { name: web }
spec:
  image: nginx
  routes:
    - { host: a.example.com, port: 80, hots: x, zzz: 1 }
  volumes:
    - { name: data, mountpath: /data }
`;
  const { diagnostics } = parseStateFiles([{ path: 'w.yaml', text }]);
  const summaries = diagnostics.map((d) => `${d.line}:${d.column} ${d.path} ${d.summary} ${d.detail ?? ''}`);
  assert.deepEqual(
    summaries,
    [
      '7:40 spec.routes[0].hots unknown field "hots" did you mean "host"?',
      '7:49 spec.routes[0].zzz unknown field "zzz" allowed fields: host, path, port, tls',
      '9:21 spec.volumes[0].mountpath unknown field "mountpath" did you mean "mountPath"?',
      '9:7 spec.volumes[0] missing required field "mountPath" ',
    ].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
  );
});

test('duplicate keys are reported at the second key', () => {
  const text =
    'apiVersion: hiy/v1\nkind: Port\nkind: Port\nmetadata: { name: web }\nspec: { image: nginx }\n';
  const { diagnostics, resources } = parseStateFiles([{ path: 'd.yaml', text }]);
  assert.equal(resources.length, 0);
  assert.equal(diagnostics.length, 1, show(diagnostics));
  assert.equal(diagnostics[0]!.summary, 'duplicate key "kind"');
  assert.deepEqual([diagnostics[0]!.line, diagnostics[0]!.column], [3, 1]);
});

test('multi-document files give one located resource per document', () => {
  const doc = (n: string) =>
    `apiVersion: hiy/v1\nkind: Port\nmetadata: { name: ${n} }\nspec: { image: nginx }\n`;
  const { resources, diagnostics } = parseStateFiles([
    { path: 'm.yaml', text: `${doc('a')}---\n${doc('b')}---\n\n${doc('c')}` },
  ]);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(
    resources.map((r) => [r.resource.metadata.name, r.line]),
    [
      ['a', 1],
      ['b', 6],
      ['c', 12],
    ],
  );
});
