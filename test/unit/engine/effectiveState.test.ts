// Every view sees the same effective state: the edit preview plans as hiy plan does, and volume ls, secret list
// and status fold the ports' declarations in (declared volumes, defaults, generated secrets).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planCommand } from '../../../src/cli/commands/plan.js';
import { validateCommand } from '../../../src/cli/commands/validate.js';
import type { CliDeps } from '../../../src/cli/context.js';
import { volumeViews } from '../../../src/data/commands.js';
import { editConfig } from '../../../src/engine/config.js';
import { applyAndRecord, computePlan, viewDesired, withApplyLock } from '../../../src/engine/engine.js';
import { computeStatusView } from '../../../src/engine/statusView.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import { FAKE_IMAGES, type FakeWorld, fakeEngine } from '../../support/fakeEngine.js';

const DECLARATION = {
  contract: 'v1',
  name: 'keeper',
  version: '1.0.0',
  dataVersion: 1,
  description: 'keeps things',
  env: {
    GREETING: { description: 'the greeting', default: 'hello' },
    LOG_LEVEL: { description: 'how much to log', default: 'info' },
    PASSWORD: { description: 'the password', secret: true, generate: { length: 16 } },
  },
  volumes: [{ name: 'data', mountPath: '/data', description: 'the things kept' }],
};

/** A Port that names neither volumes nor secrets: its declaration gives them. */
const PORT = `apiVersion: hiy/v1
kind: Port
metadata:
  name: keeper
spec:
  image: ${FAKE_IMAGES[0]}
  stopGracePeriod: 1s
`;
const OTHER = `apiVersion: hiy/v1
kind: Port
metadata:
  name: other
spec:
  image: ${FAKE_IMAGES[1]}
  stopGracePeriod: 1s
`;
const AUTHOR = { name: 'alice', email: 'alice@hiy.invalid' };

/** The address and change of each action: what a preview and a plan must agree on. */
const changes = (p: { actions: readonly { address: string; change: string }[] }) =>
  p.actions.map((a) => `${a.change} ${a.address}`).sort();

/** Plans and applies once under the lock, as `hiy apply` does. */
async function applyOnce(w: FakeWorld): Promise<void> {
  await withApplyLock(w.engine, async () => {
    const result = await applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true }));
    assert.equal(result.ok, true, JSON.stringify(result.results));
  });
}

describe('the effective desired state in every view', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({ files: { 'ports/keeper.yaml': PORT, 'ports/other.yaml': OTHER } });
    w.podman.addImage(FAKE_IMAGES[0]!, { [PORT_LABEL]: JSON.stringify(DECLARATION) });
    await applyOnce(w);
  });
  after(() => w.cleanup());

  it('after an apply, hiy plan is empty and so is the preview of an edit that changes nothing', async () => {
    assert.deepEqual(changes((await computePlan(w.engine)).plan), []);
  });

  it('the preview of each config edit equals hiy plan of the commit it makes', async () => {
    const edits: { name: string; set?: Record<string, string>; unset?: string[] }[] = [
      { name: 'keeper', set: { GREETING: 'hi' } },
      { name: 'keeper', set: { LOG_LEVEL: 'debug', GREETING: 'hey' } },
      { name: 'other', set: { COLOUR: 'blue' } },
      { name: 'other', unset: ['COLOUR'] },
    ];
    for (const edit of edits) {
      const preview = await editConfig(w.engine, { ...edit, author: AUTHOR, dryRun: true });
      const made = await editConfig(w.engine, { ...edit, author: AUTHOR });
      assert.ok(made.commit, `${JSON.stringify(edit)} made a commit`);
      const planned = await computePlan(w.engine);
      assert.equal(planned.plan.commit, made.commit);
      assert.deepEqual(changes(preview.plan), changes(planned.plan), JSON.stringify(edit));
      // One container changes: the edited one; nothing else is replaced, no volume unmounted.
      const touched = new Set(planned.plan.actions.map((a) => a.resource));
      assert.deepEqual([...touched], [`port/${edit.name}`], JSON.stringify(edit));
      await applyOnce(w);
    }
  });

  it('hiy plan --worktree plans uncommitted edits of the working copy', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeFile(
      join(w.stateDir, 'ports/other.yaml'),
      OTHER.replace('  stopGracePeriod', '  env:\n    NEW: "1"\n  stopGracePeriod'),
    );
    const out = { text: '' };
    const deps = {
      io: { out: (t: string) => (out.text += t), err: () => undefined, env: {} },
      makeEngine: async () => w.engine,
    } as unknown as CliDeps;
    const code = await planCommand(deps, w.settings, {
      json: true,
      detailedExitcode: true,
      worktree: true,
    });
    const plan = JSON.parse(out.text) as { commit: string; actions: { address: string; change: string }[] };
    assert.equal(code, 2);
    assert.equal(plan.commit, 'worktree');
    assert.deepEqual([...new Set(plan.actions.map((a) => a.address.split('.')[0]))].length, 1);
    assert.ok(
      plan.actions.every((a) => a.address.includes('other')),
      JSON.stringify(plan.actions),
    );
    // The branch head is untouched: plan without --worktree still sees nothing to do for the head.
    const head = await computePlan(w.engine);
    assert.ok(head.plan.actions.every((a) => !a.address.includes('keeper')));
  });

  it('hiy volume ls calls a declared volume declared, not retained', async () => {
    const { volumes } = await volumeViews(w.engine);
    const keeper = volumes.find((v) => v.resource === 'port/keeper');
    assert.ok(keeper, JSON.stringify(volumes));
    assert.equal(keeper.declared, true);
  });

  it('the effective state names the generated secret as used by the Port', async () => {
    const view = await viewDesired(w.engine);
    const keeper = view.state?.workloads.find((w) => w.id === 'port/keeper');
    assert.equal(keeper?.secretEnv?.PASSWORD, 'hiy.generated.keeper.PASSWORD');
    assert.equal(keeper?.env.GREETING, 'hey');
    assert.equal(keeper?.env.LOG_LEVEL, 'debug');
  });

  it('a YAML typo in one file: status shows the last applied state and the error, nothing as removed', async () => {
    await w.commit({ 'ports/other.yaml': `${OTHER}  env: [oops\n` });
    const view = await computeStatusView(w.engine);
    assert.equal(view.stateErrors > 0, true);
    assert.match(view.stateError ?? '', /ports\/other\.yaml:\d+/);
    assert.deepEqual(
      view.resources.map((r) => [r.id, r.inStateRepo]),
      [
        ['port/keeper', true],
        ['port/other', true],
      ],
    );
  });
});

describe('hiy validate --worktree and an App hosted by HIY', () => {
  let w: FakeWorld;
  before(async () => {
    w = await fakeEngine({
      files: {
        'apps/blog.yaml': `apiVersion: hiy/v1
kind: App
metadata:
  name: blog
spec:
  source: { repo: blog }
`,
      },
    });
  });
  after(() => w.cleanup());

  it('resolves source.repo as the branch head does: no false error, the same diagnostics', async () => {
    const run = async (worktree: boolean) => {
      const out = { text: '' };
      const deps = {
        io: { out: (t: string) => (out.text += t), err: () => undefined, env: {} },
        makeEngine: async () => w.engine,
      } as unknown as CliDeps;
      const code = await validateCommand(deps, w.settings, { json: true, worktree });
      const json = JSON.parse(out.text) as { valid: boolean; diagnostics: { summary: string }[] };
      return { code, valid: json.valid, summaries: json.diagnostics.map((d) => d.summary) };
    };
    const head = await run(false);
    const worktree = await run(true);
    assert.equal(worktree.valid, true, JSON.stringify(worktree.summaries));
    assert.equal(worktree.code, 0);
    assert.deepEqual(worktree.summaries, head.summaries);
    assert.match(worktree.summaries.join('\n'), /waiting for the first push to blog/);
  });
});
