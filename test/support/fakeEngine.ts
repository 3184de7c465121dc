// An Engine on the fake drivers for unit tests: FakePodman (volumes on disk), FakeCaddy, a real temp git state
// repo read with isomorphic-git, and a temp data directory; one cleanup removes it all.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { FakeCaddy } from '../../src/drivers/caddy/fake.js';
import { IsomorphicGitReader } from '../../src/drivers/git/isomorphic.js';
import { FakePodman } from '../../src/drivers/podman/fake.js';
import type { Prober } from '../../src/drivers/probe/prober.js';
import type { Engine } from '../../src/engine/engine.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/model/settings.js';
import { openStores } from '../../src/store/index.js';

/** The images the fake Podman holds from the start (as if pulled). */
export const FAKE_IMAGES = ['localhost/example/web:1', 'localhost/example/web:2', 'localhost/example/web:3'];

export interface FakeWorld {
  engine: Engine;
  podman: FakePodman;
  caddy: FakeCaddy;
  settings: Settings;
  stateDir: string;
  dataDir: string;
  /** Writes files (path → text, null deletes) into the state repo, commits them, and returns the commit. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Removes every directory the world made (the fakes hold nothing outside them). */
  cleanup(): Promise<void>;
}

export interface FakeEngineOptions {
  /** Files of the state repo's first commit. */
  files?: Record<string, string>;
  /** Health probes; by default every HTTP probe answers 200 and every TCP connect succeeds. */
  prober?: Prober;
  settings?: Partial<Settings>;
}

async function git(dir: string, args: string[]): Promise<string> {
  const r = await execa('git', [
    '-C',
    dir,
    '-c',
    'user.name=test',
    '-c',
    'user.email=test@hiy.invalid',
    ...args,
  ]);
  return r.stdout.trim();
}

/** Builds an Engine as src/main.ts does, with the fakes instead of Podman and Caddy. */
export async function fakeEngine(opts: FakeEngineOptions = {}): Promise<FakeWorld> {
  const root = await mkdtemp(join(tmpdir(), 'hiy-unit-'));
  const stateDir = join(root, 'state');
  const dataDir = join(root, 'data');
  const podman = new FakePodman({ volumesRoot: join(root, 'volumes') });
  for (const image of FAKE_IMAGES) podman.addImage(image);
  const caddy = new FakeCaddy();
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    tls: 'off',
    instance: 'unit',
    stateRepo: stateDir,
    dataDir,
    ...opts.settings,
  };
  const commit = async (files: Record<string, string | null>, message = 'change') => {
    for (const [p, text] of Object.entries(files)) {
      if (text === null) await rm(join(stateDir, p), { force: true });
      else {
        await mkdir(dirname(join(stateDir, p)), { recursive: true });
        await writeFile(join(stateDir, p), text);
      }
    }
    await git(stateDir, ['add', '-A']);
    await git(stateDir, ['commit', '-q', '--allow-empty', '-m', message]);
    return git(stateDir, ['rev-parse', 'HEAD']);
  };
  await mkdir(stateDir, { recursive: true });
  await git(stateDir, ['init', '-q', '-b', settings.branch]);
  await commit({ 'README.md': 'state repo\n', ...opts.files }, 'initial');
  const engine: Engine = {
    settings,
    podman,
    caddy,
    git: new IsomorphicGitReader(),
    prober: opts.prober ?? { httpGet: async () => 200, tcpConnect: async () => {} },
    exportCommit: () => Promise.reject(new Error('fakeEngine: no App builds in unit tests')),
    logger: pino({ level: 'silent' }),
    stores: openStores(settings.dataDir),
  };
  return {
    engine,
    podman,
    caddy,
    settings,
    stateDir,
    dataDir,
    commit,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A Port's YAML: the example image, env, optionally a `data` volume and a route. */
export function portYaml(
  name: string,
  opts: { image?: string; env?: Record<string, string>; volume?: boolean; host?: string } = {},
): string {
  const env = Object.entries(opts.env ?? {});
  return `apiVersion: hiy/v1
kind: Port
metadata:
  name: ${name}
spec:
  image: ${opts.image ?? FAKE_IMAGES[0]}
${env.length ? `  env:\n${env.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n')}\n` : ''}${
  opts.volume ? '  volumes:\n    - name: data\n      mountPath: /data\n' : ''
}${opts.host ? `  routes:\n    - host: ${opts.host}\n      port: 8080\n` : ''}  stopGracePeriod: 1s
`;
}
