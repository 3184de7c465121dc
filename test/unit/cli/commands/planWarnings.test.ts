// `hiy plan --json` and `hiy validate --json` carry the warnings the text plan prints, as diagnostics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planCommand } from '../../../../src/cli/commands/plan.js';
import { validateCommand } from '../../../../src/cli/commands/validate.js';
import type { CliDeps } from '../../../../src/cli/context.js';
import { PORT_LABEL } from '../../../../src/model/portContract.js';
import { type FakeWorld, fakeEngine } from '../../../support/fakeEngine.js';

const IMAGE = 'localhost/example/greeter:1';
const DECLARATION = {
  contract: 'v1',
  name: 'greeter',
  version: '1.2.0',
  dataVersion: 1,
  description: 'says hello',
  env: { GREETING: { description: 'the greeting', default: 'hello' } },
};
const PORT = `apiVersion: hiy/v1
kind: Port
metadata:
  name: greeter
spec:
  image: ${IMAGE}
  env:
    COLOUR: blue
`;
const USER = `apiVersion: hiy/v1
kind: User
metadata:
  name: alice
spec:
  grants: [{ app: blog, role: deploy }]
`;

function cli(w: FakeWorld) {
  const io = { out: '', err: '' };
  const deps = {
    io: { out: (t: string) => (io.out += t), err: (t: string) => (io.err += t), env: {} },
    makeEngine: async () => w.engine,
  } as unknown as CliDeps;
  return { io, deps };
}

describe('warnings in --json', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({ files: { 'ports/greeter.yaml': PORT, 'users/alice.yaml': USER } });
    w.podman.addImage(IMAGE, { [PORT_LABEL]: JSON.stringify(DECLARATION) });
  });
  after(() => w.cleanup());

  const expected = [
    {
      severity: 'warning',
      file: 'ports/greeter.yaml',
      line: 8,
      column: 13,
      path: 'spec.env.COLOUR',
      summary: 'is not a variable of port greeter 1.2.0',
    },
    {
      severity: 'warning',
      file: 'users/alice.yaml',
      line: 6,
      path: 'spec.grants[0].app',
      summary: 'grant for app "blog", which does not exist',
    },
  ];
  /** The fields a reader of the JSON relies on (the diagnostic may say more, e.g. its resource). */
  const shape = (ds: Record<string, unknown>[]) =>
    ds
      .map((d) => ({
        severity: d.severity,
        file: d.file,
        line: d.line,
        ...(d.file === 'ports/greeter.yaml' ? { column: d.column } : {}),
        path: d.path,
        summary: d.summary,
      }))
      .sort((a, b) => String(a.file).localeCompare(String(b.file)));

  it('hiy plan --json prints the warnings of the state repo and of the port declarations', async () => {
    const { io, deps } = cli(w);
    assert.equal(await planCommand(deps, w.settings, { json: true, detailedExitcode: false }), 0);
    const plan = JSON.parse(io.out);
    assert.deepEqual(shape(plan.warnings), expected);
    assert.equal(io.err, '', 'nothing but the JSON');
  });

  it('the text plan prints the same warnings on stderr', async () => {
    const { io, deps } = cli(w);
    assert.equal(await planCommand(deps, w.settings, { json: false, detailedExitcode: false }), 0);
    assert.match(io.err, /^warning: ports\/greeter\.yaml:8:13: spec\.env\.COLOUR: is not a variable/m);
    assert.match(io.err, /^warning: users\/alice\.yaml:6:\d+: spec\.grants\[0\]\.app: grant for app "blog"/m);
  });

  it('a plan without warnings prints an empty array', async () => {
    await w.commit({
      'ports/greeter.yaml': PORT.replace('  env:\n    COLOUR: blue\n', ''),
      'users/alice.yaml': null,
    });
    const { io, deps } = cli(w);
    assert.equal(await planCommand(deps, w.settings, { json: true, detailedExitcode: false }), 0);
    assert.deepEqual(JSON.parse(io.out).warnings, []);
    await w.commit({ 'ports/greeter.yaml': PORT, 'users/alice.yaml': USER });
  });

  it('hiy validate --json prints them as warnings too', async () => {
    const { io, deps } = cli(w);
    assert.equal(await validateCommand(deps, w.settings, { json: true, worktree: false }), 0);
    const out = JSON.parse(io.out);
    assert.equal(out.valid, true);
    assert.deepEqual(shape(out.warnings), expected);
  });
});
