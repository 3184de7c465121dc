// Run as an unprivileged user by test/integration/rootless-data.test.ts: snapshot, verify and restore, with
// the real Podman driver, a volume whose files a non-root container user owns; prints what it saw as JSON.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { PodmanCli } from '../../src/drivers/podman/runner.js';
import { restoreSnapshot, takeSnapshot, verifySnapshot } from '../../src/snapshots/snapshot.js';

const [instance, dataDir] = process.argv.slice(2);
if (!instance || !dataDir) throw new Error('usage: rootlessSnapshot.ts INSTANCE DATA_DIR');

const IMAGE = 'localhost/hiy/busybox:latest';
const source = `${instance}-data`;
const copy = `${instance}-copy`;
const labels = { 'hiy.instance': instance, 'hiy.resource': 'port/rootless' };

const podman = (argv: string[]) => execa('podman', argv);

/** Runs a script in a container with the volume at /v, as the container's root (the image's default). */
const inVolume = (volume: string, script: string) =>
  podman(['run', '--rm', '--pull=never', '--network=none', '-v', `${volume}:/v`, IMAGE, 'sh', '-c', script]);

/**
 * The volume as a container sees it: every entry with its type, mode, owner, group and size, and a digest of
 * each regular file's content (names only sorted here, so the listing does not depend on the walk's order).
 */
async function listing(volume: string): Promise<string[]> {
  const r = await inVolume(
    volume,
    'cd /v && find . -mindepth 1 | while read -r p; do ' +
      'if [ -L "$p" ]; then t="link->$(readlink "$p")"; elif [ -f "$p" ]; then t="file:$(md5sum < "$p" | cut -d" " -f1)"; else t=dir; fi; ' +
      'echo "$p $t $(stat -c "%a %u:%g %s" "$p")"; done',
  );
  return String(r.stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/ dir (\S+) (\S+) \d+$/, ' dir $1 $2'))
    .sort();
}

const result: Record<string, unknown> = { uid: process.getuid?.() };
try {
  await podman([
    'volume',
    'create',
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    source,
  ]);
  await podman([
    'volume',
    'create',
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    copy,
  ]);
  // A home directory of uid 1000 (0700, a 0600 file, a symlink), a postgres-like 0700 directory of uid 999,
  // and a root-owned file, as real ports leave them.
  await inVolume(
    source,
    'mkdir -p /v/home/.ssh /v/pgdata/base && echo "notes of 1000" > /v/home/notes.txt && ' +
      'echo key > /v/home/.ssh/id && ln -s notes.txt /v/home/latest && chmod 0600 /v/home/notes.txt /v/home/.ssh/id && ' +
      'chmod 0700 /v/home /v/home/.ssh && chown -R 1000:1000 /v/home && ' +
      'echo 15 > /v/pgdata/PG_VERSION && head -c 70000 /dev/urandom > /v/pgdata/base/1 && ' +
      'chmod 0600 /v/pgdata/PG_VERSION /v/pgdata/base/1 && chmod 0700 /v/pgdata /v/pgdata/base && ' +
      'chown -R 999:999 /v/pgdata && echo root > /v/README',
  );
  const [vol] = JSON.parse(String((await podman(['volume', 'inspect', source])).stdout)) as {
    Mountpoint: string;
  }[];
  const mountpoint = vol?.Mountpoint ?? '';
  // The premise: this process cannot walk the volume on the host by itself.
  result.directWalk = await readdir(join(mountpoint, 'home')).then(
    () => 'readable',
    (err: NodeJS.ErrnoException) => err.code,
  );
  const before = await listing(source);
  result.before = before;

  const deps = { podman: new PodmanCli(), dataDir };
  const started = Date.now();
  const snap = await takeSnapshot(deps, {
    volume: source,
    mountpoint,
    resource: 'port/rootless',
    reason: 'manual',
  });
  result.snapshotMs = Date.now() - started;
  result.files = snap.files;
  await verifySnapshot(deps, snap);
  result.verified = true;

  // Into an empty volume…
  const restored = await restoreSnapshot(deps, snap, copy);
  result.copyFiles = restored.files;
  result.copy = await listing(copy);

  // …and back into the source after a container changed it: the restore snapshots the current content, empties
  // the volume (files the process cannot read included) and imports.
  await inVolume(source, 'rm /v/home/notes.txt && echo new > /v/home/extra && chown 1000:1000 /v/home/extra');
  const t0 = Date.now();
  const back = await restoreSnapshot(deps, snap, source);
  result.restoreMs = Date.now() - t0;
  result.preRestoreFiles = back.preRestore?.files;
  result.after = await listing(source);
  result.ok = true;
} catch (err) {
  result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
} finally {
  await execa('podman', ['volume', 'rm', '-f', source, copy], { reject: false });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
