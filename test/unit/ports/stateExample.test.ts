// state-example/ (what `make demo` runs) is a valid state repo whose Ports satisfy the declarations in ports/.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { portImageRef, readPort } from '../../../scripts/portDecl.js';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import type { LocatedResource } from '../../../src/desired/types.js';
import { formatDiagnostic } from '../../../src/model/diagnostics.js';
import type { PortResource } from '../../../src/model/resources.js';
import { effectivePort } from '../../../src/ports/effective.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../state-example');

async function stateExample() {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (name) => ({ path: name, text: await readFile(path.join(dir, name), 'utf8') })),
  );
}

test('every file has its schema modeline and a header comment, and parses without a problem', async () => {
  const files = await stateExample();
  for (const f of files) {
    const [modeline, header] = f.text.split('\n');
    assert.match(
      modeline!,
      /^# yaml-language-server: \$schema=\.\.\/crds\/(port|app)\.schema\.json$/,
      f.path,
    );
    assert.match(header!, /^# \S/, `${f.path} explains itself in a comment`);
  }
  const parsed = parseStateFiles(files);
  const problems = [...parsed.diagnostics, ...checkResources(parsed.resources)];
  assert.deepEqual(problems.map((d) => formatDiagnostic(d)).join('\n'), '');
  const ids = parsed.resources.map((r) => `${r.resource.kind}/${r.resource.metadata.name}`).sort();
  assert.deepEqual(ids, ['App/hello', 'Port/email', 'Port/postgres', 'Port/shell', 'Port/web']);
});

test('its Ports run the four port images and give each what its declaration requires', async () => {
  const { resources } = parseStateFiles(await stateExample());
  const ports = resources.filter(
    (r): r is LocatedResource & { resource: PortResource } => r.resource.kind === 'Port',
  );
  for (const lr of ports) {
    const name = /^localhost\/hiy-ports\/([a-z]+):/.exec(lr.resource.spec.image)?.[1];
    assert.ok(name, `${lr.file} runs a port image`);
    const { declaration } = await readPort(name);
    assert.equal(
      lr.resource.spec.image,
      portImageRef(name, declaration.version),
      `${lr.file}: the built version`,
    );
    const { diagnostics } = effectivePort(lr, declaration);
    assert.deepEqual(diagnostics.map((d) => formatDiagnostic(d)).join('\n'), '', lr.file);
  }
  // No box-specific value in git: scripts/demo.sh replaces this placeholder with the box's SSH public key.
  for (const name of ['web', 'shell']) {
    const lr = ports.find((p) => p.resource.metadata.name === name);
    assert.equal(lr?.resource.spec.env?.AUTHORIZED_KEYS, 'DEMO_PUBLIC_KEY', name);
  }
  const mail = ports.find((p) => p.resource.metadata.name === 'email');
  assert.deepEqual(mail?.resource.spec.secretEnv, { MAIL_USERS: 'mail-users' });
});

test('the hello App links to postgres, which provides DATABASE_URL', async () => {
  const { resources } = parseStateFiles(await stateExample());
  const hello = resources.find((r) => r.resource.metadata.name === 'hello')?.resource;
  assert.equal(hello?.kind, 'App');
  if (hello?.kind !== 'App') return;
  assert.deepEqual(hello.spec.links, ['port/postgres']);
  const { declaration } = await readPort('postgres');
  assert.ok(declaration.provides?.DATABASE_URL);
});
