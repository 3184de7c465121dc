// Hooks and data versions on the fakes: a failing check creates nothing, migrate runs once per step with FROM TO
// after the snapshot, and a downgrade or a version jump without migrate is refused by the plan.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { formatDiagnostic, StateRepoInvalidError } from '../../../src/model/diagnostics.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import { fakeEngine } from '../../support/fakeEngine.js';

const decl = (dataVersion: number, hooks: Record<string, string[] | string> = {}) =>
  JSON.stringify({
    contract: 'v1',
    name: 'keeper',
    version: `${dataVersion}.0.0`,
    dataVersion,
    description: 'keeps data',
    volumes: [{ name: 'data', mountPath: '/data', description: 'the data' }],
    hooks,
  });

const yaml = (image: string) =>
  `apiVersion: hiy/v1\nkind: Port\nmetadata:\n  name: keeper\nspec:\n  image: ${image}\n  stopGracePeriod: 1s\n`;

async function world(images: Record<string, string>) {
  const w = await fakeEngine({ files: { 'ports/keeper.yaml': yaml(Object.keys(images)[0]!) } });
  for (const [ref, label] of Object.entries(images)) w.podman.addImage(ref, { [PORT_LABEL]: label });
  const apply = () =>
    withApplyLock(w.engine, async () =>
      applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
    );
  return { w, apply };
}

describe('port hooks on the fakes', () => {
  it('a failing check hook fails the create with its output and starts nothing', async () => {
    const { w, apply } = await world({ 'localhost/k:1': decl(1, { check: ['/check'] }) });
    try {
      w.podman.hookHandler = () => ({ exitCode: 2, output: 'DOMAIN looks wrong\n' });
      const r = await apply();
      assert.equal(r.ok, false);
      const failed = r.results.find((x) => x.status === 'failed');
      assert.match(
        failed?.error ?? '',
        /check hook of port keeper 1\.0\.0 failed \(exit 2\); nothing was started\n {2}DOMAIN looks wrong/,
      );
      assert.equal(w.podman.hooksRun[0]?.env.HIY_HOOK, 'check');
      assert.deepEqual(w.podman.hooksRun[0]?.entrypoint, ['/check']);
      assert.deepEqual(
        (await w.podman.listContainers({})).map((c) => c.name),
        [],
      );
    } finally {
      await w.cleanup();
    }
  });

  it('a failing hook’s output never carries the values of the secrets it was given', async () => {
    const { w, apply } = await world({ 'localhost/k:1': decl(1, { check: ['/check'] }) });
    try {
      const users = 'alice:{SHA512-CRYPT}$6$salt$hash-of-alice\nbob:{SHA512-CRYPT}$6$salt$hash-of-bob';
      await w.engine.stores.secrets.set('mail-users', users);
      await w.commit({
        'ports/keeper.yaml': `${yaml('localhost/k:1')}  secretEnv: { MAIL_USERS: mail-users }\n`,
      });
      w.podman.hookHandler = () => ({
        exitCode: 1,
        output: `bad line: bob:{SHA512-CRYPT}$6$salt$hash-of-bob\nwhole: ${users}\n`,
      });
      const r = await apply();
      assert.equal(r.ok, false);
      const error = r.results.find((x) => x.status === 'failed')?.error ?? '';
      assert.match(error, /check hook of port keeper 1\.0\.0 failed \(exit 1\)/);
      assert.match(error, /bad line: \*\*\*/);
      assert.doesNotMatch(error, /hash-of/);
    } finally {
      await w.cleanup();
    }
  });

  it('hooks run with the declared hooks.timeout, else 10 minutes', async () => {
    const cases: [Record<string, string[] | string>, number][] = [
      [{ check: ['/check'], timeout: '90s' }, 90_000],
      [{ check: ['/check'] }, 600_000],
    ];
    for (const [hooks, want] of cases) {
      const { w, apply } = await world({ 'localhost/k:1': decl(1, hooks) });
      try {
        const timeouts: number[] = [];
        const runHook = w.podman.runHook.bind(w.podman);
        w.podman.runHook = (spec, timeoutMs) => {
          timeouts.push(timeoutMs);
          return runHook(spec, timeoutMs);
        };
        assert.equal((await apply()).ok, true);
        assert.deepEqual(timeouts, [want]);
      } finally {
        await w.cleanup();
      }
    }
  });

  it('data version 1 → 3 migrates in two steps after the snapshot, then records 3', async () => {
    const { w, apply } = await world({
      'localhost/k:1': decl(1),
      'localhost/k:3': decl(3, { migrate: ['/migrate'], dump: ['/dump'] }),
    });
    try {
      assert.equal((await apply()).ok, true);
      assert.equal((await w.engine.stores.dataVersions.read())['hiy-unit-keeper-data']?.version, 1);
      await w.commit({ 'ports/keeper.yaml': yaml('localhost/k:3') });
      const planned = await computePlan(w.engine);
      const replace = planned.plan.actions.find((a) => a.kind === 'container.replace');
      assert.deepEqual(replace && 'migrate' in replace ? replace.migrate : undefined, {
        command: ['/migrate'],
        port: 'port keeper 3.0.0',
        from: 1,
        to: 3,
      });
      const r = await withApplyLock(w.engine, () => applyAndRecord(w.engine, planned));
      assert.equal(r.ok, true, JSON.stringify(r.results));
      assert.deepEqual(
        w.podman.hooksRun.map((s) => [s.env.HIY_HOOK, ...(s.entrypoint ?? [])]),
        [
          ['migrate', '/migrate', '1', '2'],
          ['migrate', '/migrate', '2', '3'],
        ],
      );
      assert.equal((await w.engine.stores.dataVersions.read())['hiy-unit-keeper-data']?.version, 3);
    } finally {
      await w.cleanup();
    }
  });

  it('a failing dump hook stops the upgrade before anything changes, with its output', async () => {
    const { w, apply } = await world({
      'localhost/k:1': decl(1, { dump: ['/dump'] }),
      'localhost/k:2': decl(1, { dump: ['/dump'] }),
    });
    try {
      assert.equal((await apply()).ok, true);
      const before = (await w.podman.listContainers({})).map((c) => [c.name, c.image, c.state]);
      w.podman.execHandler = (_name, command) =>
        command.includes('/dump') ? { exitCode: 5, output: 'pg_dumpall: connection refused\n' } : 0;
      await w.commit({ 'ports/keeper.yaml': yaml('localhost/k:2') });
      const r = await apply();
      assert.equal(r.ok, false);
      assert.match(
        r.results.find((x) => x.status === 'failed')?.error ?? '',
        /the dump hook of port keeper 1\.0\.0 failed \(exit 5\); nothing was changed, the running version keeps serving\n {2}pg_dumpall: connection refused/,
      );
      assert.deepEqual(
        (await w.podman.listContainers({})).map((c) => [c.name, c.image, c.state]),
        before,
      );
    } finally {
      await w.cleanup();
    }
  });

  it('a check failing after the migration restores the data; the old version and data version stay', async () => {
    const { w, apply } = await world({
      'localhost/k:1': decl(1),
      'localhost/k:2': decl(2, { migrate: ['/migrate'], check: ['/check'] }),
    });
    try {
      assert.equal((await apply()).ok, true);
      const layout = join(w.podman.volumesRoot, 'hiy-unit-keeper-data', '_data', 'layout');
      await writeFile(layout, 'v1\n');
      w.podman.hookHandler = (spec) => {
        if (spec.env.HIY_HOOK === 'migrate') {
          writeFileSync(layout, 'v2\n');
          return { exitCode: 0, output: '' };
        }
        return { exitCode: 1, output: 'the v2 layout is unreadable\n' };
      };
      await w.commit({ 'ports/keeper.yaml': yaml('localhost/k:2') });
      const r = await apply();
      assert.equal(r.ok, false);
      assert.deepEqual(
        w.podman.hooksRun.map((s) => s.env.HIY_HOOK),
        ['migrate', 'check'],
        'check runs once the data is migrated',
      );
      assert.match(r.results.find((x) => x.status === 'failed')?.error ?? '', /the v2 layout is unreadable/);
      assert.equal(await readFile(layout, 'utf8'), 'v1\n', 'the snapshot was restored');
      const [c] = await w.podman.listContainers({});
      assert.equal(c?.image, 'localhost/k:1');
      assert.equal(c?.state, 'running');
      assert.equal((await w.engine.stores.dataVersions.read())['hiy-unit-keeper-data']?.version, 1);
    } finally {
      await w.cleanup();
    }
  });

  it('a downgrade, and a higher version without migrate, are refused by the plan at spec.image', async () => {
    const { w, apply } = await world({
      'localhost/k:2': decl(2),
      'localhost/k:1': decl(1),
      'localhost/k:9': decl(9),
    });
    try {
      assert.equal((await apply()).ok, true);
      await w.commit({ 'ports/keeper.yaml': yaml('localhost/k:1') });
      const down = await computePlan(w.engine).catch((e: unknown) => e);
      assert.ok(down instanceof StateRepoInvalidError);
      assert.match(
        formatDiagnostic(down.diagnostics[0]!),
        /ports\/keeper\.yaml:6:10: spec\.image: port keeper 1\.0\.0 keeps data of version 1, but the data of port\/keeper is at version 2: a downgrade is refused\n {2}no release of port\/keeper ran data version 1/,
      );
      await w.commit({ 'ports/keeper.yaml': yaml('localhost/k:9') });
      const up = await computePlan(w.engine).catch((e: unknown) => e);
      assert.ok(up instanceof StateRepoInvalidError);
      assert.match(up.diagnostics[0]!.summary, /has no migrate hook: refused/);
      assert.equal(
        up.diagnostics[0]!.detail,
        'keep spec.image at localhost/k:2 (release 1, data version 2), or use an image of port keeper that ships a migrate hook from data version 2 to 9',
      );
    } finally {
      await w.cleanup();
    }
  });
});
