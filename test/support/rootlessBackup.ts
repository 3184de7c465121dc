// Run unprivileged by test/integration/backup-rootless.test.ts: a volume holding a 0700 directory of uid 1000
// (sub-uid owned on the host) backed up with `backupNow` to a local restic repository, restored with
// `restoreFromBackup` into the volume (after a change) and into a new one, and drilled; prints what it saw.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { backupNow } from '../../src/backup/backupNow.js';
import { drillBackups } from '../../src/backup/drill.js';
import { restoreFromBackup } from '../../src/backup/restore.js';
import { settingsFrom } from '../../src/cli/config.js';
import { realEngine } from '../../src/main.js';
import { LABEL_RESOURCE, ownershipLabels } from '../../src/model/labels.js';
import { type RunningCaddy, startCaddy } from './caddy.js';

const [instance, work] = process.argv.slice(2);
if (!instance || !work) throw new Error('usage: rootlessBackup.ts INSTANCE WORK_DIR');

const IMAGE = 'localhost/hiy/busybox:latest';
const volume = `hiy-${instance}-vault-data`;
const copy = `hiy-${instance}-vault-copy`;
const podman = (argv: string[]) => execa('podman', argv);
const inVolume = (v: string, script: string) =>
  podman(['run', '--rm', '--pull=never', '--network=none', '-v', `${v}:/v`, IMAGE, 'sh', '-c', script]);
/** Every entry as a container sees it: path, type or content digest, mode, owner. */
async function listing(v: string): Promise<string[]> {
  const r = await inVolume(
    v,
    'cd /v && find . -mindepth 1 | while read -r p; do ' +
      'if [ -f "$p" ]; then t="file:$(md5sum < "$p" | cut -d" " -f1)"; else t=dir; fi; ' +
      'echo "$p $t $(stat -c "%a %u:%g" "$p")"; done',
  );
  return String(r.stdout).split('\n').filter(Boolean).sort();
}

const result: Record<string, unknown> = { uid: process.getuid?.() };
// A real Caddy on free loopback ports: the snapshot's observation of the box reads its config.
let caddy: RunningCaddy | undefined;
try {
  caddy = await startCaddy();
  const state = join(work, 'state');
  await mkdir(state, { recursive: true });
  const git = (args: string[]) =>
    execa('git', ['-C', state, '-c', 'user.name=t', '-c', 'user.email=t@hiy.invalid', ...args]);
  await git(['init', '-q', '-b', 'main']);
  await writeFile(
    join(state, 'backup.yaml'),
    `apiVersion: hiy/v1\nkind: Backup\nmetadata: {name: offsite}\nspec:\n  repository: ${join(work, 'repo')}\n  passwordSecret: restic-password\n`,
  );
  await git(['add', '-A']);
  await git(['commit', '-qm', 'backup']);
  const env = {
    HIY_STATE: state,
    HIY_DATA_DIR: join(work, 'data'),
    HIY_INSTANCE: instance,
    HIY_CADDY_ADMIN: caddy.adminUrl,
    HIY_TLS: 'off',
    HIY_HTTP_ADDR: `127.0.0.1:${caddy.httpPort}`,
    HIY_API_ADDR: '127.0.0.1:0',
    HIY_LOG_LEVEL: 'silent',
  };
  const engine = await realEngine(settingsFrom({}, env, true), env);
  await engine.stores.secrets.set('restic-password', 'rootless backups 7f3a');
  await podman([
    'volume',
    'create',
    ...Object.entries({ ...ownershipLabels(instance), [LABEL_RESOURCE]: 'port/vault' }).flatMap(([k, v]) => [
      '--label',
      `${k}=${v}`,
    ]),
    volume,
  ]);
  await inVolume(
    volume,
    'mkdir -p /v/home && echo "notes of 1000" > /v/home/notes.txt && chmod 0600 /v/home/notes.txt && ' +
      'chmod 0700 /v/home && chown -R 1000:1000 /v/home && echo root > /v/README',
  );
  const [vol] = JSON.parse(String((await podman(['volume', 'inspect', volume])).stdout)) as {
    Mountpoint: string;
  }[];
  result.directWalk = await readdir(join(vol?.Mountpoint ?? '', 'home')).then(
    () => 'readable',
    (err: NodeJS.ErrnoException) => err.code,
  );
  result.before = await listing(volume);
  const run = await backupNow(engine, { resource: 'port/vault' });
  result.backedUp = run.volumes.length;
  result.failures = run.failures;
  if (run.volumes.length !== 1) throw new Error(`backup now: ${JSON.stringify(run.failures)}`);
  await inVolume(volume, 'rm /v/home/notes.txt && echo new > /v/home/extra && chown 1000:1000 /v/home/extra');
  const [back] = await restoreFromBackup(engine, { resource: 'port/vault' });
  result.restoredFiles = back?.files;
  result.after = await listing(volume);
  await restoreFromBackup(engine, { resource: 'port/vault', toVolume: copy });
  result.copy = await listing(copy);
  const [drill] = await drillBackups(engine, { resource: 'port/vault' });
  result.drill = drill;
  result.ok = true;
} catch (err) {
  result.error = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
} finally {
  await execa('podman', ['volume', 'rm', '-f', volume, copy], { reject: false });
  await caddy?.stop();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
