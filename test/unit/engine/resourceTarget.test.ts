// What an operation acts on: a name with its kind reaches only a container labelled as that resource.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { resourceLogs } from '../../../src/engine/logs.js';
import { execInResource } from '../../../src/engine/oneOff.js';
import { findWorkloadContainer, OperationError } from '../../../src/engine/resourceTarget.js';
import { type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

describe('operations act on the resource named, kind included', () => {
  let w: FakeWorld;
  let logsCalls = 0;
  before(async () => {
    w = await fakeEngine({ files: { 'db.yaml': portYaml('db') } });
    assert.equal(
      (await withApplyLock(w.engine, async () => applyAndRecord(w.engine, await computePlan(w.engine)))).ok,
      true,
    );
    const logs = w.podman.logs.bind(w.podman);
    w.podman.logs = (...args) => {
      logsCalls++;
      return logs(...args);
    };
  });
  after(() => w.cleanup());

  const unknown = (err: unknown) => err instanceof OperationError && err.code === 'RESOURCE_UNKNOWN';

  it('app/db never reaches the container of the Port db (same container name)', async () => {
    assert.equal((await findWorkloadContainer(w.engine, 'port/db'))?.labels['hiy.resource'], 'port/db');
    assert.equal((await findWorkloadContainer(w.engine, 'db'))?.labels['hiy.resource'], 'port/db');
    assert.equal(await findWorkloadContainer(w.engine, 'app/db'), undefined);
    const sink = { stdout: () => undefined, stderr: () => undefined };
    await assert.rejects(resourceLogs(w.engine, 'app/db', { tail: 10 }, sink), unknown);
    assert.equal(logsCalls, 0, 'podman logs was not called for app/db');
    await assert.rejects(
      execInResource(w.engine, 'app/db', ['true'], {
        output: { stdout: () => undefined, stderr: () => undefined },
      }),
      unknown,
    );
    await resourceLogs(w.engine, 'port/db', { tail: 10 }, sink);
    assert.equal(logsCalls, 1);
  });
});
