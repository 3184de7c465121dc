// The base of a port image: its Debian root file system made by mmdebstrap from the box's apt sources, imported once per hash.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PortSources } from './portDecl.js';

const run = promisify(execFile);

/** Label holding the hash of everything an image was built from; a rebuild is skipped when it matches. */
export const INPUTS_LABEL = 'io.hiy.ports.inputs';

/** Where mmdebstrap's downloaded .deb files are kept between builds (shared by every port). */
const APT_CACHE = process.env.HIY_PORTS_APT_CACHE ?? '/var/cache/hiy-ports/apt';

/** The box's own apt sources: the ports are made from what the box itself installs. */
const APT_SOURCES = process.env.HIY_PORTS_APT_SOURCES ?? '/etc/apt/sources.list.d/debian.sources';

const SUITE = 'bookworm';

/** Bump when the way a base is made changes, so every cached base is rebuilt. */
const BASE_RECIPE = 'mmdebstrap-minbase-v1';

/** dpkg filters: no manuals, docs or translations in the images (copyright files stay). */
const DPKG_OPTS = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/info/*',
];

/** A failure of the build, with the command's output. */
export class PortBuildError extends Error {
  readonly code = 'PORT_BUILD_FAILED';
  constructor(
    message: string,
    readonly data: { port: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** sha256 over the package list, the apt sources and the recipe: the base's identity. */
export async function baseInputsHash(packages: string[], hook: string): Promise<string> {
  const sources = await readFile(APT_SOURCES, 'utf8');
  return createHash('sha256')
    .update(
      `${BASE_RECIPE}\0${SUITE}\0${[...packages].sort().join(',')}\0${DPKG_OPTS.join(',')}\0${sources}\0${hook}`,
    )
    .digest('hex');
}

export async function imageLabel(image: string, label: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('podman', [
      'image',
      'inspect',
      '--format',
      `{{index .Labels "${label}"}}`,
      image,
    ]);
    const v = stdout.trim();
    return v === '' || v === '<no value>' ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command in its own process group (mmdebstrap signals its whole group when it fails, which would take
 * this process with it) and returns its stdout; a failure carries the last lines of its output.
 */
export function sh(port: string, cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let all = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      all = (all + d.toString()).slice(-16_000);
    });
    child.stderr.on('data', (d: Buffer) => {
      all = (all + d.toString()).slice(-16_000);
    });
    child.on('error', (err) =>
      reject(new PortBuildError(`port ${port}: cannot run ${cmd}: ${err.message}`, { port }, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(out);
      const tail = all.split('\n').slice(-30).join('\n');
      reject(
        new PortBuildError(`port ${port}: ${cmd} failed (${signal ?? `exit ${code}`}):\n${tail}`, { port }),
      );
    });
  });
}

/** Makes the port's Debian root file system with mmdebstrap and imports it as its base image (once per hash). */
export async function ensureBase(
  port: PortSources,
  log: (l: string) => void,
): Promise<{ image: string; hash: string; built: boolean }> {
  const { name, packages } = port;
  const hook = await readFile(path.join(port.dir, 'base-hook'), 'utf8').catch(() => '');
  const hash = await baseInputsHash(packages, hook);
  const image = `localhost/hiy-ports/${name}-base:${hash.slice(0, 16)}`;
  if ((await imageLabel(image, INPUTS_LABEL)) === hash) return { image, hash, built: false };
  log(`port ${name}: making the Debian ${SUITE} root file system (${packages.join(', ')})`);
  const work = await mkdtemp(path.join(tmpdir(), `hiy-port-${name}-`));
  try {
    await mkdir(APT_CACHE, { recursive: true });
    const debs = path.join(work, 'debs');
    const args = [
      '--quiet',
      '--variant=minbase',
      '--mode=root',
      '--format=tar',
      `--include=${packages.join(',')}`,
      // Downloaded packages are kept between builds (the ports share most of them): in from the cache, out to
      // this build's own directory, then moved into the cache file by file (builds may run side by side).
      '--skip=essential/unlink',
      '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
      `--setup-hook=sync-in ${APT_CACHE} /var/cache/apt/archives/`,
      `--customize-hook=sync-out /var/cache/apt/archives ${debs}`,
      ...(hook ? [`--essential-hook=${path.join(port.dir, 'base-hook')} "$1"`] : []),
      '--dpkgopt=force-unsafe-io',
      ...DPKG_OPTS.map((o) => `--dpkgopt=${o}`),
      SUITE,
      '-',
      APT_SOURCES,
    ];
    const importArgs = [
      'import',
      '--quiet',
      '--change',
      `LABEL ${INPUTS_LABEL}=${hash}`,
      '--change',
      'CMD ["/bin/bash"]',
      '--message',
      `hiy port ${name} base: debian ${SUITE} minbase + ${packages.join(' ')}`,
      '-',
      image,
    ];
    // The root file system streams from mmdebstrap straight into podman import: no tar on disk.
    await sh(name, 'bash', [
      '-o',
      'pipefail',
      '-c',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script (array slices), not a JS template
      'n=$1; shift; mmdebstrap "${@:1:n}" | podman "${@:n+1}"',
      'bash',
      String(args.length),
      ...args,
      ...importArgs,
    ]);
    await mkdir(debs, { recursive: true });
    for (const f of await readdir(debs)) {
      if (!f.endsWith('.deb')) continue;
      const dest = path.join(APT_CACHE, f);
      if (
        await stat(dest).then(
          () => true,
          () => false,
        )
      )
        continue;
      await copyFile(path.join(debs, f), `${dest}.part-${process.pid}`);
      await rename(`${dest}.part-${process.pid}`, dest);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { image, hash, built: true };
}
