// port-upgrade-email: `hiy apply` upgrading the email port that holds 1,000 messages vs a plain export + podman run.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { volumeExportArgv } from '../src/drivers/podman/argv.js';
import { LABEL_INSTANCE } from '../src/model/labels.js';
import { type Harness, startHarness } from '../test/support/hiy.js';
import { ensurePortImage } from '../test/support/portImages.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { type BenchContext, fmtMs, type Result, stats, timed, withCleanup } from './lib.js';
import { fillMaildir, imapCount } from './mailbox.js';
import { PodmanTimeline } from './podmanTimeline.js';

const MESSAGES = 1_000;
const MAX_RATIO = 2;
const USER = 'alice';
const DOMAIN = 'example.org';
const PASSWORD = 'correct horse battery staple';
/** The email port's declared health command (ports/email/port.yaml). */
const HEALTH = ['/usr/local/lib/hiy/health'];
const MOUNTS = { mail: '/var/mail', state: '/var/lib/hiy-mail' };

function portYaml(image: string, imapPort: number): string {
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: mail
spec:
  image: ${image}
  env:
    DOMAIN: ${DOMAIN}
  secretEnv:
    MAIL_USERS: mail-users
  ports:
    - { containerPort: 143, hostPort: ${imapPort}, hostIP: 127.0.0.1 }
`;
}

/** Where one `hiy apply` spent its time, from the Podman calls it made (ms). */
interface Breakdown {
  beforeStop: number;
  checkHook: number;
  stop: number;
  snapshot: number;
  exportMail: number;
  run: number;
  health: number;
  probes: number;
  after: number;
}

function breakdown(t: PodmanTimeline, totalMs: number, mailVolume: string): Breakdown {
  const find = (method: string, arg?: string) =>
    t.calls.find((c) => c.method === method && (arg === undefined || c.arg === arg));
  const stop = find('stopContainer');
  const run = find('runContainer');
  if (!stop || !run) throw new Error(`port-upgrade-email: not a stop-first upgrade:\n${t.render()}`);
  // The first call after the snapshots parks the old container under another name (apply.ts).
  const parked = t.calls.find((c) => c.method === 'renameContainer' && c.start >= stop.end);
  const probes = t.calls.filter((c) => c.method === 'exec' && c.start >= run.end);
  const lastProbe = probes.at(-1)?.end ?? run.end;
  const hook = find('runHook');
  const exp = find('exportVolume', mailVolume);
  return {
    beforeStop: stop.start,
    checkHook: hook ? hook.end - hook.start : 0,
    stop: stop.end - stop.start,
    snapshot: (parked?.start ?? run.start) - stop.end,
    exportMail: exp ? exp.end - exp.start : 0,
    run: run.end - run.start,
    health: lastProbe - run.end,
    probes: probes.length,
    after: totalMs - lastProbe,
  };
}

/** The plain way's three steps (ms). */
interface Plain {
  export: number;
  run: number;
  health: number;
}

/** Until the container's declared health command passes, probing as fast as `podman exec` allows (100 ms apart). */
async function waitHealthyPlain(name: string): Promise<void> {
  await waitFor(
    async () => (await execa('podman', ['exec', name, ...HEALTH], { reject: false })).exitCode === 0,
    { timeoutMs: 90_000, intervalMs: 100, what: `${name} healthy` },
  );
}

interface Round {
  hiyMs: number;
  plainMs: number;
  plain: Plain;
  stopMs: number;
  messages: number;
  parts: Breakdown;
}

export async function benchPortUpgrade(ctx: BenchContext): Promise<Result[]> {
  const rounds = ctx.quick ? 2 : 5;
  let h: Harness | undefined;
  let nextImage: string | undefined;
  let archive: string | undefined;
  return withCleanup(
    'port-upgrade-email harness, containers, volumes and the upgrade image',
    async () => {
      if (archive) await rm(archive, { force: true });
      await h?.cleanup();
      if (nextImage) await execa('podman', ['rmi', '-f', nextImage], { reject: false });
    },
    async () => {
      h = await startHarness();
      const harness = h;
      const first = await ensurePortImage('email');
      // Another version of the same files, unique to this run so a concurrent run never shares (or removes) it.
      nextImage = await ensurePortImage('email', `1.0.1-bench.${harness.instance}`);
      const images = [first, nextImage];
      const imapPort = await freePort();
      const hash = (await execa('openssl', ['passwd', '-6', '-stdin'], { input: PASSWORD })).stdout.trim();
      const users = `${USER}:{SHA512-CRYPT}${hash}\n`;
      const usersFile = join(harness.root, 'mail-users.txt'); // outside the state repo and the data dir
      await writeFile(usersFile, users);
      const set = await harness.hiy(['secret', 'set', 'mail-users', '--from-file', usersFile]);
      if (set.code !== 0) throw new Error(`port-upgrade-email: secret set failed: ${set.err}`);
      await harness.commit({ 'ports/mail.yaml': portYaml(first, imapPort) }, 'the email port');
      const applied = await harness.hiy(['apply']);
      if (applied.code !== 0) throw new Error(`port-upgrade-email: first apply failed: ${applied.err}`);

      const container = `hiy-${harness.instance}-mail`;
      const mailVolume = `hiy-${harness.instance}-mail-mail`;
      const stateVolume = `hiy-${harness.instance}-mail-state`;
      const mountpoint = (
        await execa('podman', ['volume', 'inspect', '--format', '{{.Mountpoint}}', mailVolume])
      ).stdout.trim();
      ctx.log(`port-upgrade-email: writing ${MESSAGES} messages into ${mailVolume} (not measured)...`);
      const bytes = await fillMaildir(mountpoint, USER, DOMAIN, MESSAGES);
      // A client reads the mailbox once (Dovecot moves new/ to cur/ and writes its index), as in real use.
      const before = await imapCount(imapPort, USER, PASSWORD);
      if (before !== MESSAGES) throw new Error(`port-upgrade-email: ${before} messages before the upgrade`);
      const volumeMiB = Number((await execa('du', ['-sm', mountpoint])).stdout.split('\t')[0]);
      archive = join(harness.root, 'plain-export.tar');

      const results: Round[] = [];
      for (let i = 0; i < rounds; i++) {
        const image = images[(i + 1) % 2]!;
        await harness.commit({ 'ports/mail.yaml': portYaml(image, imapPort) }, `email ${image}`);
        const timeline = new PodmanTimeline();
        const r = await timed(() => harness.hiy(['apply'], {}, timeline.wrap));
        if (r.value.code !== 0) throw new Error(`port-upgrade-email: upgrade failed: ${r.value.err}`);
        const running = await execa('podman', ['inspect', '--format', '{{.ImageName}}', container]);
        if (running.stdout.trim() !== image)
          throw new Error(`port-upgrade-email: ${container} runs ${running.stdout}, not ${image}`);
        const messages = await imapCount(imapPort, USER, PASSWORD);
        const parts = breakdown(timeline, r.ms, mailVolume);
        if (i === 0) ctx.log(`  podman calls of the first upgrade (ms):\n${timeline.render()}`);

        // The plain way, on the same volumes while HIY's container is stopped (two Postfix on one queue would not do).
        const stop = await timed(() => execa('podman', ['stop', container]));
        const plain = `${container}-plain`;
        const p = await withCleanup(
          `plain container ${plain}`,
          async () => {
            await execa('podman', ['rm', '-f', '-t', '10', '--ignore', plain]);
            await rm(archive!, { force: true });
          },
          () =>
            timed(async () => {
              const steps: Plain = { export: 0, run: 0, health: 0 };
              steps.export = (await timed(() => execa('podman', volumeExportArgv(mailVolume, archive!)))).ms;
              const started = await timed(() =>
                execa(
                  'podman',
                  [
                    'run',
                    '-d',
                    '--pull=never',
                    '--name',
                    plain,
                    '--label',
                    `${LABEL_INSTANCE}=${harness.instance}`,
                    '-e',
                    'DOMAIN',
                    '-e',
                    'MAIL_USERS',
                    '-v',
                    `${mailVolume}:${MOUNTS.mail}`,
                    '-v',
                    `${stateVolume}:${MOUNTS.state}`,
                    image,
                  ],
                  { env: { DOMAIN, MAIL_USERS: users } },
                ),
              );
              steps.run = started.ms;
              steps.health = (await timed(() => waitHealthyPlain(plain))).ms;
              return steps;
            }),
        );
        // HIY's container serves again before the next round (not measured).
        await execa('podman', ['start', container]);
        await waitHealthyPlain(container);
        results.push({ hiyMs: r.ms, plainMs: p.ms, plain: p.value, stopMs: stop.ms, messages, parts });
        ctx.log(
          `  round ${i + 1}/${rounds} → ${image.split(':')[1]}: hiy apply ${fmtMs(r.ms)} (${messages} messages after), ` +
            `export + run ${fmtMs(p.ms)}; hiy: stop ${fmtMs(parts.stop)}, snapshot ${fmtMs(parts.snapshot)}, ` +
            `health ${fmtMs(parts.health)} (${parts.probes} probes); plain: export ${fmtMs(p.value.export)}, ` +
            `run ${fmtMs(p.value.run)}, health ${fmtMs(p.value.health)}`,
        );
      }
      return rows(results, { bytes, volumeMiB });
    },
  );
}

function rows(results: Round[], size: { bytes: number; volumeMiB: number }): Result[] {
  const group = 'port-upgrade-email';
  const hs = stats(results.map((r) => r.hiyMs));
  const ps = stats(results.map((r) => r.plainMs));
  const ratio = hs.median / ps.median;
  const lost = results.filter((r) => r.messages !== MESSAGES);
  const withStop = hs.median / stats(results.map((r) => r.stopMs + r.plainMs)).median;
  const plainPart = (name: string, k: keyof Plain, note: string): Result => ({
    name: `  ↳ ${name}`,
    group,
    samplesMs: results.map((r) => r.plain[k]),
    stats: stats(results.map((r) => r.plain[k])),
    target: '',
    verdict: 'info',
    note,
  });
  const med = (k: keyof Breakdown) => stats(results.map((r) => r.parts[k])).median;
  const part = (name: string, k: keyof Breakdown, note: string): Result => ({
    name: `  ↳ ${name}`,
    group,
    samplesMs: results.map((r) => r.parts[k]),
    stats: stats(results.map((r) => r.parts[k])),
    target: '',
    verdict: 'info',
    note,
  });
  return [
    {
      name: 'port-upgrade-email (hiy apply)',
      group,
      samplesMs: results.map((r) => r.hiyMs),
      stats: hs,
      target: `ratio ≤ ${MAX_RATIO}, ${MESSAGES} messages kept`,
      // The plain upgrade stops the old server too (two Postfix on one queue, one host port): its stop counts.
      verdict: withStop <= MAX_RATIO && lost.length === 0 ? 'pass' : 'FAIL',
      note:
        `ratio **${withStop.toFixed(2)}** to stop + export + run (${ratio.toFixed(2)} to export + run alone); ${MESSAGES} messages (${(size.bytes / 2 ** 20).toFixed(1)} MiB, volume ${size.volumeMiB} MiB) ` +
        `counted over IMAP after each upgrade: ${lost.length === 0 ? 'none lost' : `LOST in ${lost.length} round(s): ${lost.map((r) => r.messages).join(', ')}`}`,
      extra: {
        ratio,
        ratioWithStop: withStop,
        messages: results.map((r) => r.messages),
        breakdown: results.map((r) => r.parts),
      },
    },
    part(
      'before the stop',
      'beforeStop',
      'plan (state repo, observation, declaration), secrets, network, check hook',
    ),
    part('check hook', 'checkHook', 'a one-off container of the new image with the final env and volumes'),
    part('stop', 'stop', 'podman stop of the old container (SIGTERM to Postfix and Dovecot)'),
    part(
      'snapshot of both volumes',
      'snapshot',
      `verified; the mail volume's export alone ${fmtMs(med('exportMail'))} (median)`,
    ),
    part('start', 'run', 'podman run of the new image'),
    part('health', 'health', `until the declared health command passes (median ${med('probes')} probes)`),
    part('after', 'after', 'removal of the parked container, snapshot retention, status'),
    {
      name: '  podman volume export + podman run until healthy',
      group,
      samplesMs: results.map((r) => r.plainMs),
      stats: ps,
      target: '',
      verdict: 'info',
      note:
        'the mail volume exported to a file, then `podman run -d` of the same image with both volumes, `podman exec` ' +
        'of the health command every 100 ms until it passes; the old container stopped first (timed below)',
      extra: { steps: results.map((r) => r.plain) },
    },
    plainPart('export of the mail volume', 'export', '`podman volume export -o FILE`'),
    plainPart('podman run -d', 'run', 'returns once the container started'),
    plainPart('health', 'health', 'from the end of `podman run -d` until the health command passes'),
    {
      name: '  ↳ (podman stop of the old container)',
      group,
      samplesMs: results.map((r) => r.stopMs),
      stats: stats(results.map((r) => r.stopMs)),
      target: '',
      verdict: 'info',
      note: `part of the plain upgrade (the target's ratio ${withStop.toFixed(2)}); without it ${ratio.toFixed(2)}`,
    },
  ];
}
