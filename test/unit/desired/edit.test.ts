// setEnv/unsetEnv: edits of one resource's env that keep comments, formatting and the other documents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findResourceFile, StateEditError, setEnv, unsetEnv } from '../../../src/desired/edit.js';

const blog = `# the blog (header comment)
apiVersion: hiy/v1
kind: App
metadata:
  name: blog   # short name
spec:
  source: { repo: blog }
  env:
    # how chatty
    LOG_LEVEL: info
  secretEnv:
    DB_PASSWORD: blog-db
`;
const mail = `---
apiVersion: hiy/v1
kind: Port
metadata: {name: mail}
spec:
  image: "x:1"
`;
const target = { kind: 'App', name: 'blog' };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StateEditError);
    return err.code;
  }
  assert.fail('expected a StateEditError');
}

test('setEnv changes and adds variables, keeping comments', () => {
  const out = setEnv(blog, target, { LOG_LEVEL: 'debug', WORKERS: '4' });
  assert.match(out, /^# the blog \(header comment\)\n/);
  assert.match(out, / {4}# how chatty\n {4}LOG_LEVEL: debug\n {4}WORKERS: "4"\n/);
  assert.match(out, /# short name/);
  assert.match(out, /DB_PASSWORD: blog-db/);
});

test('setEnv leaves every other document byte for byte', () => {
  const out = setEnv(`${blog}${mail}`, target, { A: 'b' });
  assert.ok(out.endsWith(mail), out);
  const out2 = setEnv(`${mail.slice(4)}---\n${blog.replace(/^#.*\n/, '')}`, target, { A: 'b' });
  assert.ok(out2.startsWith(mail.slice(4)), out2);
  assert.match(out2, /LOG_LEVEL: info\n {4}A: b\n {2}secretEnv:/);
});

test('setEnv creates spec.env and edits kinds written in lower case', () => {
  const out = setEnv(mail, { kind: 'port', name: 'mail' }, { X: 'y z' });
  assert.match(out, /spec:\n {2}image: "x:1"\n {2}env:\n {4}X: y z\n$/);
});

test('setEnv refuses secretEnv names and invalid names', () => {
  assert.equal(
    code(() => setEnv(blog, target, { DB_PASSWORD: 'x' })),
    'CONFIG_KEY_SECRET',
  );
  assert.equal(
    code(() => setEnv(blog, target, { '1BAD': 'x' })),
    'CONFIG_KEY_INVALID',
  );
  assert.equal(
    code(() => setEnv(blog, { kind: 'App', name: 'other' }, { A: 'x' })),
    'EDIT_TARGET_NOT_FOUND',
  );
});

test('unsetEnv removes keys, and env when it becomes empty; a key not set is an error', () => {
  const out = unsetEnv(blog, target, ['LOG_LEVEL']);
  assert.doesNotMatch(out, /env:\n {4}#|LOG_LEVEL/);
  assert.match(out, /secretEnv:/);
  assert.equal(
    code(() => unsetEnv(blog, target, ['NOPE'])),
    'CONFIG_KEY_NOT_SET',
  );
});

test('findResourceFile names the one file defining the target', () => {
  const files = new Map([
    ['apps/blog.yaml', blog],
    ['ports.yaml', mail],
  ]);
  assert.equal(findResourceFile(files, target), 'apps/blog.yaml');
  assert.equal(findResourceFile(files, { kind: 'Port', name: 'mail' }), 'ports.yaml');
  assert.equal(
    code(() => findResourceFile(files, { kind: 'App', name: 'x' })),
    'EDIT_TARGET_NOT_FOUND',
  );
  files.set('copy.yaml', blog);
  assert.equal(
    code(() => findResourceFile(files, target)),
    'EDIT_TARGET_AMBIGUOUS',
  );
});

test('an env edit changes only the edited lines: flow collections, quoting and comments stay as written', () => {
  const app = `apiVersion: hiy/v1
kind: App
metadata: {name: shop}
spec:
  source: {repo: shop}
  links: [port/postgres]
  env:
    LOG_LEVEL: 'info'   # quoted on purpose
    WORKERS: "2"
  routes: [{host: shop.test, port: 8080}]
`;
  const shop = { kind: 'App', name: 'shop' };
  const set = setEnv(app, shop, { WORKERS: '4' });
  assert.equal(set, app.replace('WORKERS: "2"', 'WORKERS: "4"'));
  const added = setEnv(app, shop, { NEW: 'yes' });
  assert.equal(added, app.replace('    WORKERS: "2"\n', '    WORKERS: "2"\n    NEW: yes\n'));
  const unset = unsetEnv(app, shop, ['LOG_LEVEL']);
  assert.equal(unset, app.replace("    LOG_LEVEL: 'info'   # quoted on purpose\n", ''));
  // Removing the last variable rewrites the document, still without padding its flow collections.
  const empty = unsetEnv(unset, shop, ['WORKERS']);
  assert.match(empty, /^ {2}links: \[port\/postgres\]$/m);
  assert.doesNotMatch(empty, /env:/);
});
