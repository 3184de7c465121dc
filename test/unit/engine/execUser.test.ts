// `hiy exec --user U` and a port's declared exec user, on every surface: the argv, the SSH verb, the engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execAttachedArgv } from '../../../src/drivers/podman/argv.js';
import { parseVerbCommand } from '../../../src/drivers/ssh/verbCommand.js';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { execInResource } from '../../../src/engine/oneOff.js';
import { OperationError } from '../../../src/engine/resourceTarget.js';
import { PORT_LABEL, PortDeclaration } from '../../../src/model/portContract.js';
import { FAKE_IMAGES, type FakeWorld, fakeEngine, portYaml } from '../../support/fakeEngine.js';

const quiet = { output: { stdout: () => undefined, stderr: () => undefined } };

describe('exec as a user', () => {
  it('podman exec gets --user before the container name', () => {
    assert.deepEqual(execAttachedArgv('hiy-db', ['psql'], { user: 'postgres' }), [
      'exec',
      '--user',
      'postgres',
      'hiy-db',
      'psql',
    ]);
    assert.deepEqual(execAttachedArgv('hiy-db', ['psql'], {}), ['exec', 'hiy-db', 'psql']);
  });

  it('the SSH verb takes --user U before the command, and refuses what is no user', () => {
    const ok = parseVerbCommand('exec db --user postgres -- psql -c "select 1"');
    assert.ok(ok.ok);
    assert.equal(ok.request.flags.user, 'postgres');
    assert.deepEqual(ok.request.words, ['psql', '-c', 'select 1']);
    const uid = parseVerbCommand('exec db -u 999:999 -- id');
    assert.ok(uid.ok);
    assert.equal(uid.request.flags.user, '999:999');
    const plain = parseVerbCommand('exec db -- id');
    assert.ok(plain.ok);
    assert.equal(plain.request.flags.user, undefined);
    const bad = parseVerbCommand('exec db --user Root! -- id');
    assert.equal(bad.ok, false);
    const missing = parseVerbCommand('exec db --user');
    assert.equal(missing.ok, false);
  });

  it('the port contract takes exec.user and refuses a bad one', () => {
    const base = { contract: 'v1', name: 'db', version: '1.0.0', dataVersion: 1, description: 'a db' };
    assert.equal(PortDeclaration.parse({ ...base, exec: { user: 'postgres' } }).exec?.user, 'postgres');
    assert.equal(PortDeclaration.safeParse({ ...base, exec: { user: 'no such' } }).success, false);
  });

  describe('in the engine', () => {
    let w: FakeWorld;
    before(async () => {
      w = await fakeEngine({
        files: { 'db.yaml': portYaml('db'), 'web.yaml': portYaml('web', { image: FAKE_IMAGES[1] }) },
      });
      w.podman.addImage(FAKE_IMAGES[0]!, {
        [PORT_LABEL]: JSON.stringify({
          contract: 'v1',
          name: 'db',
          version: '1.0.0',
          dataVersion: 1,
          description: 'a db',
          exec: { user: 'postgres' },
        }),
      });
      await withApplyLock(w.engine, async () => {
        const r = await applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true }));
        assert.equal(r.ok, true, JSON.stringify(r.results));
      });
    });
    after(() => w.cleanup());

    it('runs as the declared user by default, as --user when given', async () => {
      await execInResource(w.engine, 'db', ['psql'], quiet);
      await execInResource(w.engine, 'db', ['id'], quiet, { user: 'root' });
      await execInResource(w.engine, 'web', ['id'], quiet);
      assert.deepEqual(
        w.podman.execs.map((e) => [e.name, e.command[0], e.user]),
        [
          ['hiy-unit-db', 'psql', 'postgres'],
          ['hiy-unit-db', 'id', 'root'],
          ['hiy-unit-web', 'id', undefined],
        ],
      );
    });

    it('refuses a user that is no user name or uid, before looking for the container', async () => {
      await assert.rejects(
        execInResource(w.engine, 'db', ['id'], quiet, { user: '--privileged' }),
        (err: unknown) => err instanceof OperationError && err.code === 'EXEC_USER_INVALID',
      );
    });
  });
});
