// ports/: every port.yaml follows the contract, and each generated README.md matches its declaration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PortDeclarationError,
  parseDeclaration,
  readPort,
  renderPortReadme,
  stalePortReadmes,
} from '../../../scripts/portDecl.js';
import { listPorts } from '../../../scripts/ports.js';

test('the four ports are there and each follows the port contract', async () => {
  const names = await listPorts();
  assert.deepEqual(names, ['email', 'postgres', 'shell', 'web']);
  for (const name of names) {
    const p = await readPort(name);
    assert.equal(p.declaration.contract, 'v1');
    assert.ok(p.packages.length > 0, `${name} lists its Debian packages`);
    assert.ok(p.declaration.hooks.check, `${name} has a check hook`);
    assert.ok(p.declaration.volumes.length > 0, `${name} keeps its state in volumes`);
  }
});

test('ports/*/README.md is up to date with port.yaml', async () => {
  const stale = await stalePortReadmes(await listPorts());
  assert.deepEqual(
    stale,
    [],
    `stale generated files: ${stale.join(', ')}; run \`npx tsx scripts/ports.ts readme\``,
  );
});

test('what the ports declare for HIY: postgres provides DATABASE_URL from a generated secret', async () => {
  const pg = (await readPort('postgres')).declaration;
  assert.equal(pg.dataVersion, 15);
  assert.deepEqual(pg.env.POSTGRES_PASSWORD?.generate, { length: 32 });
  assert.equal(pg.env.POSTGRES_PASSWORD?.secret, true);
  assert.match(pg.provides.DATABASE_URL ?? '', /\$\{secret\.POSTGRES_PASSWORD\}@\$\{host\}/);
  assert.ok(pg.hooks.dump);
  const web = (await readPort('web')).declaration;
  assert.deepEqual(
    web.ports.filter((p) => p.http).map((p) => p.containerPort),
    [8080],
  );
  const email = (await readPort('email')).declaration;
  assert.equal(email.env.MAIL_USERS?.secret, true);
  assert.equal(email.env.DOMAIN?.required, true);
});

test('a bad declaration reports every problem with file:line:col and the field path', () => {
  const text = [
    'contract: v1',
    'name: Bad_Name',
    'version: "1.0"',
    'dataVersion: -1',
    'description: x',
    'env:',
    '  TOKEN:',
    '    description: a token',
    '    generate: { length: 32 }',
  ].join('\n');
  assert.throws(
    () => parseDeclaration('ports/bad/port.yaml', text),
    (err: unknown) => {
      assert.ok(err instanceof PortDeclarationError);
      assert.equal(err.code, 'PORT_DECLARATION_INVALID');
      const problems = err.data.problems.join('\n');
      assert.match(problems, /ports\/bad\/port\.yaml:2:7: name: must be a DNS label/);
      assert.match(problems, /ports\/bad\/port\.yaml:4:14: dataVersion:/);
      assert.match(problems, /ports\/bad\/port\.yaml:8:5: env\.TOKEN: generate needs secret: true/);
      return true;
    },
  );
});

test('the README lists every setting, volume, port and hook of a declaration', () => {
  const readme = renderPortReadme({
    packages: ['hello'],
    declaration: parseDeclaration(
      'p.yaml',
      'contract: v1\nname: demo\nversion: "1.0"\ndataVersion: 1\ndescription: A demo.\n' +
        'env: { GREETING: { description: "what | to say", default: hi } }\n' +
        'volumes: [{ name: data, mountPath: /data, description: everything }]\n' +
        'ports: [{ containerPort: 80, description: web, http: true }]\n' +
        'hooks: { check: [/check] }\n',
    ),
  });
  assert.match(readme, /^<!-- Generated from port\.yaml/);
  assert.match(readme, /\| `GREETING` \| {2}\| {2}\| `hi` \| {2}\| what \\\| to say \|/);
  assert.match(readme, /\| `data` \| `\/data` \| everything \|/);
  assert.match(readme, /\| 80 \| tcp \| yes \| web \|/);
  assert.match(readme, /\| check \| `\/check` \|/);
});
