// Every problem at once: a resource whose spec is invalid still takes part in the cross-resource checks.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { checkResources } from '../../../src/desired/crossCheck.js';
import { parseStateFiles } from '../../../src/desired/parse.js';
import type { StateFile } from '../../../src/desired/types.js';
import type { GitReader } from '../../../src/drivers/git/types.js';
import type { Settings } from '../../../src/model/settings.js';

const port = (name: string, spec = '') =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: ${name}\nspec:\n  image: nginx\n${spec}`;

/** Every diagnostic, parse and cross-check, as `file:line:col path summary`. */
function all(...files: StateFile[]): string[] {
  const parsed = parseStateFiles(files);
  return [...parsed.diagnostics, ...checkResources(parsed.resources, { incomplete: parsed.incomplete })]
    .map((d) => `${d.file}:${d.line}:${d.column} ${d.path} ${d.summary}`)
    .sort();
}

test('a duplicate name is reported even when one of the two has an unknown field in its spec', () => {
  assert.deepEqual(
    all({ path: 'a.yaml', text: port('greeter') }, { path: 'b.yaml', text: port('greeter', '  bogus: 1\n') }),
    [
      'a.yaml:4:9 metadata.name duplicate name "greeter": also port/greeter at b.yaml:4',
      'b.yaml:4:9 metadata.name duplicate name "greeter": also port/greeter at a.yaml:4',
      'b.yaml:7:3 spec.bogus unknown field "bogus"',
    ],
  );
});

test('the fields of an invalid spec that are valid on their own are still cross-checked', () => {
  const ds = all(
    {
      path: 'a.yaml',
      text: port(
        'a',
        '  ports: [{ containerPort: 53, hostPort: 5353 }]\n  routes: [{ host: a.example.com, port: 80 }]\n',
      ),
    },
    {
      path: 'b.yaml',
      text: port(
        'b',
        '  ports: [{ containerPort: 53, hostPort: 5353 }]\n  routes: [{ host: a.example.com, port: 80 }]\n  restart: sometimes\n',
      ),
    },
  );
  assert.deepEqual(ds, [
    'b.yaml:7:42 spec.ports[0].hostPort host port 5353/tcp is already published by port/a (a.yaml:7)',
    'b.yaml:8:20 spec.routes[0].host route a.example.com/ is already claimed by port/a (a.yaml:8)',
    'b.yaml:9:12 spec.restart must be one of "always", "unless-stopped", "on-failure", "no"',
  ]);
});

test('checks that need a whole spec skip the invalid resource; an App with an invalid spec still exists', () => {
  const app =
    'apiVersion: hiy/v1\nkind: App\nmetadata:\n  name: blog\nspec:\n  source: { git: /src/blog, bogus: 1 }\n';
  const user =
    'apiVersion: hiy/v1\nkind: User\nmetadata:\n  name: alice\nspec:\n  grants: [{ app: blog, role: deploy }]\n';
  // expose is valid but the routes are not: no "route to a port the container does not expose" guesswork.
  const web = port('web', '  expose: [8080]\n  routes: [{ host: web.example.com, port: 9090, extra: 1 }]\n');
  assert.deepEqual(
    all({ path: 'app.yaml', text: app }, { path: 'user.yaml', text: user }, { path: 'web.yaml', text: web }),
    [
      'app.yaml:6:29 spec.source.bogus unknown field "bogus"',
      'web.yaml:8:49 spec.routes[0].extra unknown field "extra"',
    ],
  );
});

test('a resource whose metadata is invalid takes part in nothing', () => {
  const parsed = parseStateFiles([{ path: 'a.yaml', text: port('Not_A_Name', '  bogus: 1\n') }]);
  assert.equal(parsed.incomplete, undefined);
});

test('hiy validate --worktree reports the unknown field and the duplicate name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-every-'));
  try {
    await writeFile(join(dir, 'a.yaml'), port('greeter'));
    await writeFile(join(dir, 'b.yaml'), port('greeter', '  bogus: 1\n'));
    let err = '';
    const git = {} as GitReader; // Ports only: no App source to resolve
    // A data directory as every command has one (where hosted App sources and pending pushes are looked up).
    const settings = { stateRepo: dir, branch: 'main', instance: 't', dataDir: dir } as Settings;
    const deps = {
      io: { out: () => undefined, err: (t: string) => (err += t), env: {} },
      makeEngine: async () => ({ git, settings }),
    } as unknown as CliDeps;
    assert.equal(await validateCommand(deps, settings, { json: false, worktree: true }), 1);
    assert.match(err, /^error: a\.yaml:4:9: metadata\.name: duplicate name "greeter"/m);
    assert.match(err, /^error: b\.yaml:4:9: metadata\.name: duplicate name "greeter"/m);
    assert.match(err, /^error: b\.yaml:7:3: spec\.bogus: unknown field "bogus"/m);
    assert.match(err, /3 error\(s\) in the state repo/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
