// The crash tests' faults: unarmed they change nothing; armed, the nth point or journal record kills the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { faultsFromEnv, noFaults } from '../../../src/store/faults.js';

/** Runs `body` (an ES module's text, `faults` and `Journal` imported) in a child with the given environment. */
function child(body: string, env: Record<string, string>) {
  const src = (file: string) => pathToFileURL(join(import.meta.dirname, '../../../src/store', file)).href;
  const code = `import { faultsFromEnv } from '${src('faults.ts')}';
import { Journal } from '${src('journal.ts')}';
const faults = faultsFromEnv(process.env);
${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('faults', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hiy-faults-'));
  after(() => rm(dir, { recursive: true, force: true }));

  it('unarmed: no faults, every call just runs', async () => {
    assert.equal(faultsFromEnv({}), noFaults);
    assert.equal(await noFaults.during('replace:stop', async () => 7), 7);
    const other = faultsFromEnv({ HIY_TEST_CRASH_AT: 'run:running' });
    other.point('replace:started');
    assert.equal(await other.during('replace:stop', async () => 'ran'), 'ran');
  });

  it('armed: the nth point kills the process, the ones before pass', () => {
    const r = child(
      `faults.point('replace:started'); console.log('first passed'); faults.point('replace:started'); console.log('not reached');`,
      {
        HIY_TEST_CRASH_AT: 'replace:started:2',
      },
    );
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, 'first passed\n');
  });

  it('armed: the journal dies right after the record of that kind and phase is on disk', async () => {
    const path = join(dir, 'j');
    const r = child(
      `const j = new Journal(${JSON.stringify(path)}, faults);
await j.write({ id: 'a', kind: 'run', name: 'x', phase: 'running' });
console.log('not reached');`,
      { HIY_TEST_CRASH_AT: 'run:running' },
    );
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, '');
    const record = JSON.parse(await readFile(join(path, 'journal.jsonl'), 'utf8'));
    assert.deepEqual([record.id, record.kind, record.phase], ['a', 'run', 'running']);
  });
});
