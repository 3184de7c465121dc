// A whole pass on the fakes, with Caddy's storage in a temp directory: a renewed certificate runs the port's
// reload hook in the same container (podman exec), the reload is recorded, and the next plan is empty.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyAndRecord, computePlan, withApplyLock } from '../../../src/engine/engine.js';
import { PORT_LABEL } from '../../../src/model/portContract.js';
import { fakeEngine } from '../../support/fakeEngine.js';

const HOST = 'mail.example.org';
const IMAGE = 'localhost/mail:1';
const decl = JSON.stringify({
  contract: 'v1',
  name: 'mailer',
  version: '1.0.0',
  dataVersion: 1,
  description: 'serves mail',
  hooks: { reload: ['/reload'] },
});
const yaml = `apiVersion: hiy/v1
kind: Port
metadata:
  name: mail
spec:
  image: ${IMAGE}
  tls:
    certificateFor: ${HOST}
  stopGracePeriod: 1s
`;

async function world() {
  const caddyData = await mkdtemp(join(tmpdir(), 'hiy-unit-caddy-'));
  const w = await fakeEngine({
    files: { 'ports/mail.yaml': yaml },
    settings: { tls: 'internal', caddyDataDir: caddyData },
  });
  w.podman.addImage(IMAGE, { [PORT_LABEL]: decl });
  const execs: { container: string; command: string[] }[] = [];
  let answer = { exitCode: 0, output: '' };
  w.podman.execHandler = (container, command) => {
    execs.push({ container, command });
    return answer;
  };
  const folder = join(caddyData, 'certificates', 'local', HOST);
  const issue = async (text: string) => {
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${HOST}.key`), `key of ${text}\n`);
    await writeFile(join(folder, `${HOST}.crt`), `certificate ${text}\n`);
  };
  const plan = () => computePlan(w.engine);
  const apply = () =>
    withApplyLock(w.engine, async () =>
      applyAndRecord(w.engine, await computePlan(w.engine, { forApply: true })),
    );
  const mailContainer = async () => (await w.podman.listContainers({ 'hiy.resource': 'port/mail' }))[0]!;
  return {
    w,
    execs,
    issue,
    plan,
    apply,
    mailContainer,
    answer: (a: { exitCode: number; output: string }) => {
      answer = a;
    },
    cleanup: async () => {
      await w.cleanup();
      await rm(caddyData, { recursive: true, force: true });
    },
  };
}

describe('a renewed certificate, reloaded in place', () => {
  it('runs the reload hook in the same container, records it, and then plans nothing', async () => {
    const t = await world();
    try {
      await t.issue('one');
      assert.equal((await t.apply()).ok, true);
      const before = await t.mailContainer();
      assert.match(before.labels['hiy.certificate'] ?? '', /^sha256:[0-9a-f]{16}$/);
      assert.deepEqual((await t.plan()).plan.actions, []);

      await t.issue('two');
      const planned = (await t.plan()).plan;
      assert.deepEqual(
        planned.actions.map((a) => a.kind),
        ['certificate.reload'],
      );
      const r = await t.apply();
      assert.equal(r.ok, true, JSON.stringify(r.results));
      assert.deepEqual(t.execs, [
        {
          container: before.name,
          command: ['env', 'HIY_HOOK=reload', 'HIY_RESOURCE=mail', '/reload'],
        },
      ]);
      const after = await t.mailContainer();
      assert.equal(after.id, before.id, 'the same container');
      const status = await t.w.engine.stores.status.read();
      assert.deepEqual(status.resources['port/mail']?.certificate, {
        container: before.id,
        digest: (planned.actions[0] as { digest: string }).digest,
      });
      assert.deepEqual((await t.plan()).plan.actions, [], 'nothing left once reloaded');
    } finally {
      await t.cleanup();
    }
  });

  it('a failing reload fails the action with its output; the container keeps running and the next run retries', async () => {
    const t = await world();
    try {
      await t.issue('one');
      assert.equal((await t.apply()).ok, true);
      const before = await t.mailContainer();
      await t.issue('two');
      t.answer({ exitCode: 1, output: 'the key does not match yet\n' });
      const r = await t.apply();
      assert.equal(r.ok, false);
      const failed = r.results.find((x) => x.status === 'failed');
      assert.match(
        failed?.error ?? '',
        /port\/mail: the reload hook of port mailer 1\.0\.0 failed \(exit 1\); \S+ keeps running with the certificate it had\n {2}the key does not match yet/,
      );
      assert.equal((await t.mailContainer()).id, before.id);
      assert.equal((await t.w.engine.stores.status.read()).resources['port/mail']?.certificate, undefined);
      t.answer({ exitCode: 0, output: '' });
      assert.deepEqual(
        (await t.plan()).plan.actions.map((a) => a.kind),
        ['certificate.reload'],
      );
      assert.equal((await t.apply()).ok, true);
      assert.deepEqual((await t.plan()).plan.actions, []);
    } finally {
      await t.cleanup();
    }
  });
});
