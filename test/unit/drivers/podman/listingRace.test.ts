// Podman 4.3's racy listings: which failures are retried, and that the runner lists again (bounded) on them.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExternalCalls } from '../../../../src/drivers/externalCalls.js';
import { isListingRace, LISTING_TRIES } from '../../../../src/drivers/podman/listingRace.js';
import { PodmanCli } from '../../../../src/drivers/podman/runner.js';
import { PodmanError } from '../../../../src/drivers/podman/types.js';

describe('isListingRace', () => {
  it('recognises the errors of an object removed during a listing', () => {
    assert.ok(isListingRace('Error: no volume with name "hiy-x-data" found in database: no such volume'));
    assert.ok(isListingRace('Error: no container with name or ID "abc" found: no such container'));
    assert.ok(isListingRace('Error: no pod with name or ID 1234 found: no such pod'));
  });
  it('leaves every other failure alone', () => {
    assert.ok(!isListingRace('Error: cannot connect to Podman socket'));
    assert.ok(!isListingRace('Error: invalid filter "label"'));
    assert.ok(!isListingRace(''));
  });
});

describe('PodmanCli listings', () => {
  let dir: string;
  /** A stand-in podman: fails with `stderr` the first `failures` times it is run, then lists nothing. */
  const fakePodman = async (failures: number, stderr: string): Promise<string> => {
    const bin = join(dir, `podman-${failures}-${stderr.length}`);
    const counter = `${bin}.count`;
    await writeFile(counter, '0');
    await writeFile(
      bin,
      `#!/bin/sh\nn=$(cat '${counter}'); n=$((n+1)); echo $n > '${counter}'\n` +
        `if [ $n -le ${failures} ]; then echo '${stderr}' >&2; exit 125; fi\necho '[]'\n`,
    );
    await chmod(bin, 0o755);
    return bin;
  };
  const runs = async (bin: string) => Number((await readFile(`${bin}.count`, 'utf8')).trim());

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hiy-listing-race-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists again after a race, counting every podman process', async () => {
    const bin = await fakePodman(2, 'Error: no volume with name "v" found in database: no such volume');
    const calls = new ExternalCalls();
    const podman = new PodmanCli({ binary: bin, externalCalls: calls });
    assert.deepEqual(await podman.listVolumes({ a: 'b' }), []);
    assert.equal(await runs(bin), 3);
    assert.equal(calls.of('podman'), 3);
    assert.equal(podman.calls, 3);
  });

  it('reports a race that lasts past the bound, and any other failure at once', async () => {
    const racing = await fakePodman(10, 'Error: no container with name or ID "c" found: no such container');
    await assert.rejects(new PodmanCli({ binary: racing }).listContainers({ a: 'b' }), PodmanError);
    assert.equal(await runs(racing), LISTING_TRIES);
    const broken = await fakePodman(10, 'Error: database is locked');
    await assert.rejects(new PodmanCli({ binary: broken }).listContainers({ a: 'b' }), /database is locked/);
    assert.equal(await runs(broken), 1);
  });
});
