// Builds the ports under ports/ offline from Debian packages (mmdebstrap → podman import → podman build), cached by input hash.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PORT_LABEL } from '../src/model/portContract.js';
import { ensureBase, INPUTS_LABEL, imageLabel, PortBuildError, sh } from './portBase.js';
import { portImageRef, portsRoot, readPort, stalePortReadmes, writePortReadmes } from './portDecl.js';

export { INPUTS_LABEL, PortBuildError };

const run = promisify(execFile);

/** Bump when the way an image is made from its base changes (how the label is written…). */
const IMAGE_RECIPE = 'containerfile-label-v2';

export interface BuildOptions {
  /** Build this version instead of the declaration's (tag and label): tests use it to make an upgrade. */
  version?: string;
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
}

export interface BuildResult {
  image: string;
  built: boolean;
  baseBuilt: boolean;
  seconds: number;
}

async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full, base)));
    // Documentation (the generated README.md, NOTES.md) is not part of the image.
    else if (!entry.name.endsWith('.md')) out.push(path.relative(base, full));
  }
  return out.sort();
}

/** sha256 over the port's files (names, modes, contents) and the version being built: the image's identity. */
export async function portInputsHash(dir: string, baseHash: string, version: string): Promise<string> {
  const h = createHash('sha256').update(`${IMAGE_RECIPE}\0${baseHash}\0${version}\0`);
  for (const rel of await filesUnder(dir)) {
    const full = path.join(dir, rel);
    const mode = (await stat(full)).mode & 0o777;
    h.update(`${rel}\0${mode.toString(8)}\0`)
      .update(await readFile(full))
      .update('\0');
  }
  return h.digest('hex');
}

/** Runs fn holding a per-port lock (a directory with the holder's pid), so setup and tests never build twice at once. */
async function withPortLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  // Per user: each user builds into its own Podman store, and another user's lock could not be taken (issue 22).
  const lock = path.join(tmpdir(), `hiy-ports-${name}.${process.getuid?.() ?? 0}.lock`);
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => '0'));
      let alive = pid > 0;
      try {
        if (alive) process.kill(pid, 0);
      } catch {
        alive = false;
      }
      // A lock without a live holder is left over from a killed build (a pid is written right after mkdir).
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (!alive && age > 2000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Builds one port (cached): its base, then its Containerfile with the declaration as the io.hiy.port.v1 label. */
export function buildPort(name: string, opts: BuildOptions = {}): Promise<BuildResult> {
  return withPortLock(name, () => buildPortLocked(name, opts));
}

async function buildPortLocked(name: string, opts: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const port = await readPort(name);
  const declaration = opts.version ? { ...port.declaration, version: opts.version } : port.declaration;
  const base = await ensureBase(port, log);
  const image = portImageRef(name, declaration.version);
  const hash = await portInputsHash(port.dir, base.hash, declaration.version);
  if ((await imageLabel(image, INPUTS_LABEL)) === hash)
    return { image, built: false, baseBuilt: base.built, seconds: (Date.now() - started) / 1000 };
  log(`port ${name}: building ${image}`);
  const previous = await imageId(image);
  // The declaration goes in as a single-quoted LABEL appended to the Containerfile: `podman build --label` would
  // substitute the "${host}" of provides. JSON never needs a raw "'" (it becomes \u0027).
  const work = await mkdtemp(path.join(tmpdir(), `hiy-port-${name}-`));
  const containerfile = path.join(work, 'Containerfile');
  const json = JSON.stringify(declaration).replace(/'/g, '\\u0027');
  await writeFile(
    containerfile,
    `${await readFile(path.join(port.dir, 'Containerfile'), 'utf8')}\nLABEL ${PORT_LABEL}='${json}'\n`,
  );
  try {
    await sh(name, 'podman', [
      'build',
      '--quiet',
      '--pull=never',
      '--network=none',
      '--layers=false',
      '--build-arg',
      `BASE=${base.image}`,
      '--label',
      `${INPUTS_LABEL}=${hash}`,
      '-t',
      image,
      '-f',
      containerfile,
      port.dir,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const label = await imageLabel(image, PORT_LABEL);
  if (label !== json)
    throw new PortBuildError(`port ${name}: the ${PORT_LABEL} label of ${image} is not the declaration`, {
      port: name,
    });
  await dropReplaced(name, previous, base.image);
  return { image, built: true, baseBuilt: base.built, seconds: (Date.now() - started) / 1000 };
}

async function imageId(image: string): Promise<string | undefined> {
  const r = await run('podman', ['image', 'inspect', '--format', '{{.Id}}', image]).catch(() => undefined);
  return r?.stdout.trim() || undefined;
}

/**
 * Removes what a rebuild replaced: the image the tag pointed to before, and this port's older bases. Images a
 * container still uses (a running port) or other images build on are kept: `podman rmi` refuses them.
 */
async function dropReplaced(name: string, previous: string | undefined, currentBase: string): Promise<void> {
  const rmi = (ref: string) => run('podman', ['rmi', ref]).catch(() => undefined);
  if (previous) await rmi(previous);
  const bases = await run('podman', [
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    '--filter',
    `reference=localhost/hiy-ports/${name}-base`,
  ]).catch(() => undefined);
  for (const ref of bases?.stdout.split('\n') ?? [])
    if (ref.trim() && ref.trim() !== currentBase) await rmi(ref.trim());
}

/** Builds several ports, HIY_PORTS_JOBS (default 2) at a time: downloads and dpkg runs overlap. */
export async function buildPorts(
  names: string[],
  opts: BuildOptions = {},
  onDone: (r: BuildResult) => void = () => {},
): Promise<BuildResult[]> {
  const jobs = Math.max(1, Number(process.env.HIY_PORTS_JOBS ?? 2) || 1);
  const queue = [...names];
  const results: BuildResult[] = [];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const r = await buildPort(name, opts);
      results.push(r);
      onDone(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, names.length) }, worker));
  return results;
}

/** Every port under ports/ (a directory with a port.yaml). */
export async function listPorts(): Promise<string[]> {
  const entries = await readdir(portsRoot(), { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const has = await stat(path.join(portsRoot(), e.name, 'port.yaml')).then(
      () => true,
      () => false,
    );
    if (has) names.push(e.name);
  }
  return names.sort();
}

const USAGE = `usage: tsx scripts/ports.ts build [NAME...] [--version V]
       tsx scripts/ports.ts check            validate every port.yaml against the contract
       tsx scripts/ports.ts readme [--check]  write (or check) each port's generated README.md
       tsx scripts/ports.ts image NAME        print the image reference of a port`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const vi = rest.indexOf('--version');
  const version = vi >= 0 ? rest[vi + 1] : undefined;
  const names = rest.filter((a, i) => !a.startsWith('--') && (vi < 0 || i !== vi + 1));
  if (cmd === 'build') {
    const all = names.length > 0 ? names : await listPorts();
    const t0 = Date.now();
    await buildPorts(all, version ? { version } : {}, (r) =>
      console.log(
        `${r.image}: ${r.built ? `built${r.baseBuilt ? ' (with its base)' : ''}` : 'up to date'} in ${r.seconds.toFixed(1)} s`,
      ),
    );
    console.log(`ports: ${all.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  }
  if (cmd === 'check') {
    for (const name of await listPorts()) {
      const p = await readPort(name);
      console.log(`${name}: ok (${p.declaration.version}, dataVersion ${p.declaration.dataVersion})`);
    }
    return 0;
  }
  if (cmd === 'readme') {
    if (rest.includes('--check')) {
      const stale = await stalePortReadmes(await listPorts());
      if (stale.length > 0) {
        console.error(`stale: ${stale.join(', ')}; run \`tsx scripts/ports.ts readme\``);
        return 1;
      }
      return 0;
    }
    for (const f of await writePortReadmes(await listPorts())) console.log(`wrote ${f}`);
    return 0;
  }
  if (cmd === 'image' && names[0]) {
    const p = await readPort(names[0]);
    console.log(portImageRef(names[0], version ?? p.declaration.version));
    return 0;
  }
  console.error(USAGE);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
