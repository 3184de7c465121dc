// Pure Podman argv builders: no I/O, one builder per operation, arrays never shell strings (output parsers: output.ts).
import type { BuildSpec, ImageCommand, RunSpec } from './types.js';

/** CFS period used to turn a CPU count into `--cpu-quota` for builds (Podman's default period). */
const CPU_PERIOD_US = 100_000;

function sortedEntries(map: Record<string, string>): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function labelFlags(flag: '--label' | '--filter', labels: Record<string, string>): string[] {
  return sortedEntries(labels).flatMap(([k, v]) => [
    flag,
    flag === '--filter' ? `label=${k}=${v}` : `${k}=${v}`,
  ]);
}

/** True when `labels` carries every key=value of `wanted`. */
export function hasLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** All containers, running or not, carrying every label (Podman ANDs label filters for `ps`). */
export function psArgv(labels: Record<string, string>): string[] {
  return ['ps', '-a', '--format', 'json', ...labelFlags('--filter', labels)];
}

/**
 * Volumes carrying the labels. Podman 4.3.1 ORs several label filters for `volume ls` (unlike `ps`),
 * so callers must still check every label on the result (see {@link hasLabels}).
 */
export function volumeLsArgv(labels: Record<string, string>): string[] {
  return ['volume', 'ls', '--format', 'json', ...labelFlags('--filter', labels)];
}

export function volumeCreateArgv(name: string, labels: Record<string, string>): string[] {
  return ['volume', 'create', ...labelFlags('--label', labels), name];
}

export function volumeRmArgv(name: string): string[] {
  return ['volume', 'rm', name];
}

/** The volume's content as a tar archive written to `file`. */
export function volumeExportArgv(name: string, file: string): string[] {
  return ['volume', 'export', name, '--output', file];
}

/** Extracts the tar archive `file` into the volume (adding to what it holds). */
export function volumeImportArgv(name: string, file: string): string[] {
  return ['volume', 'import', name, file];
}

function publishFlag(p: RunSpec['publish'][number]): string {
  const ip = p.hostIp ? (p.hostIp.includes(':') ? `[${p.hostIp}]:` : `${p.hostIp}:`) : '';
  return `${ip}${p.hostPort}:${p.containerPort}/${p.protocol}`;
}

/** Where a container sees HIY's static busybox, which runs the secret shim. */
export const SHIM_BINARY = '/run/hiy/busybox';
/** Where secret files are mounted in a container, one file per variable. */
export const SECRET_ENV_DIR = '/run/secrets/hiy-env';
/**
 * Exports every file of SECRET_ENV_DIR as a variable of the same name (trailing newlines kept: the `x` guard),
 * then execs the real command, which becomes PID 1 and gets the signals. Only the container's processes see the
 * values; `podman inspect` shows this script, never a value.
 */
export const SECRET_SHIM_SCRIPT = `B=${SHIM_BINARY}; for f in ${SECRET_ENV_DIR}/*; do [ -f "$f" ] || continue; v=$($B cat "$f"; printf x); export "\${f##*/}=\${v%x}"; done; unset B f v; exec "$@"`;

/** How runArgv turns secretEnv into a shim: the host's static busybox and, if needed, the image's command. */
export interface RunArgvOptions {
  /** Host path of a statically linked busybox, bind-mounted read-only at SHIM_BINARY (default /bin/busybox). */
  shimBinary?: string;
  /** The image's entrypoint and cmd; required for secretEnv when the spec gives no entrypoint. */
  imageCommand?: ImageCommand;
}

/** The command a container runs, Kubernetes rules: `command` replaces the entrypoint (and drops the image's cmd). */
function effectiveCommand(spec: RunSpec, image: ImageCommand | undefined): string[] {
  if (spec.entrypoint) return [...spec.entrypoint, ...(spec.args ?? [])];
  if (!image)
    throw new Error(`run ${spec.name}: secretEnv needs the image's command (inspect the image first)`);
  return [...image.entrypoint, ...(spec.args ?? image.cmd)];
}

/**
 * `podman run -d` for a spec. Images under `localhost/` exist only on this box (HIY builds or imports
 * them), so `--pull=never` makes a missing one fail at once instead of retrying a registry at localhost:443
 * for seconds; any other image is pulled when missing, as users of registries expect.
 */
export function runArgv(spec: RunSpec, opts: RunArgvOptions = {}): string[] {
  const pull = spec.image.startsWith('localhost/') ? '--pull=never' : '--pull=missing';
  const argv = ['run', '-d', pull, '--name', spec.name, ...labelFlags('--label', spec.labels)];
  for (const [k, v] of sortedEntries(spec.env)) argv.push('--env', `${k}=${v}`);
  const secrets = [...(spec.secretEnv ?? [])].sort((a, b) => (a.env < b.env ? -1 : a.env > b.env ? 1 : 0));
  let args = spec.args ?? [];
  if (secrets.length > 0) {
    for (const s of secrets)
      argv.push('--secret', `${s.secret},type=mount,target=${SECRET_ENV_DIR}/${s.env}`);
    argv.push('-v', `${opts.shimBinary ?? '/bin/busybox'}:${SHIM_BINARY}:ro`);
    argv.push('--entrypoint', JSON.stringify([SHIM_BINARY, 'sh', '-c', SECRET_SHIM_SCRIPT, 'hiy-secrets']));
    args = effectiveCommand(spec, opts.imageCommand);
  } else if (spec.entrypoint) argv.push('--entrypoint', JSON.stringify(spec.entrypoint));
  for (const v of spec.volumes) argv.push('-v', `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`);
  for (const p of spec.publish) argv.push('-p', publishFlag(p));
  if (spec.network) {
    // One --network per network, its options after the name (a bare --ip would not say which network).
    const own = spec.network.aliases.map((a) => `alias=${a}`);
    argv.push('--network', own.length > 0 ? `${spec.network.name}:${own.join(',')}` : spec.network.name);
    for (const l of spec.network.links ?? []) {
      const opts = [...(l.ip ? [`ip=${l.ip}`] : []), ...(l.mac ? [`mac=${l.mac}`] : [])];
      argv.push('--network', opts.length > 0 ? `${l.name}:${opts.join(',')}` : l.name);
    }
    for (const [host, ip] of sortedEntries(spec.network.hosts ?? {}))
      argv.push('--add-host', `${host}:${ip}`);
  }
  argv.push('--restart', spec.restart);
  if (spec.memoryBytes !== undefined) argv.push('--memory', String(spec.memoryBytes));
  if (spec.cpus !== undefined) argv.push('--cpus', String(spec.cpus));
  argv.push('--stop-timeout', String(spec.stopTimeoutSeconds), spec.image, ...args);
  return argv;
}

/** `podman run --rm` (attached) for a one-off container: runArgv without `-d`. */
export function runOnceArgv(spec: RunSpec, opts: RunArgvOptions = {}): string[] {
  return runArgv(spec, opts).map((a, i) => (i === 1 && a === '-d' ? '--rm' : a));
}

/** The last `max` bytes of a hook's output (what errors and events show). */
export function tailOutput(text: string, max = 64 * 1024): string {
  const buf = Buffer.from(text);
  return buf.length <= max ? text : buf.subarray(buf.length - max).toString('utf8');
}

/** The variable through which a secret value is handed to `podman secret create --env`. */
export const SECRET_VALUE_VAR = 'HIY_SECRET_VALUE';

/**
 * `podman secret create --env`: the value is read from the podman process's own environment (SECRET_VALUE_VAR),
 * so it is never in any argv (which every user of the box can read). Not stdin: Podman 4.3 accepts `-` only
 * from a pipe or a file, and Node hands children a socket.
 */
export function secretCreateArgv(name: string, labels: Record<string, string>): string[] {
  return ['secret', 'create', '--env', ...labelFlags('--label', labels), name, SECRET_VALUE_VAR];
}

/** IDs of all secrets, one per line (Podman 4.3 can neither filter secrets by label nor print them as JSON). */
export function secretLsArgv(): string[] {
  return ['secret', 'ls', '--quiet', '--noheading'];
}

export function secretInspectArgv(ids: string[]): string[] {
  return ['secret', 'inspect', ...ids];
}

export function secretRmArgv(name: string): string[] {
  return ['secret', 'rm', name];
}

/** The image's entrypoint and cmd, as one JSON line. */
export function imageCommandArgv(ref: string): string[] {
  return [
    'image',
    'inspect',
    '--format',
    '{"entrypoint":{{json .Config.Entrypoint}},"cmd":{{json .Config.Cmd}}}',
    ref,
  ];
}

/** The image's id and labels, as one JSON line (exit 125 when there is no such image). */
export function imageInspectArgv(ref: string): string[] {
  return imagesInspectArgv([ref]);
}

/**
 * Several images at once: one JSON line per image found, in the order asked; each one missing is named on stderr
 * (`inspecting object: REF: image not known`) and makes the exit code 125.
 */
export function imagesInspectArgv(refs: readonly string[]): string[] {
  return [
    'image',
    'inspect',
    '--format',
    '{"id":{{json .ID}},"labels":{{json .Labels}},"size":{{json .Size}}}',
    ...refs,
  ];
}

/**
 * The untagged images no other image builds on (dangling), as JSON. Podman 4.3.1 ORs `label=` filters of
 * `images`, so labels are matched by parseDanglingImages (output.ts), never by a filter.
 */
export function danglingImagesArgv(): string[] {
  return ['images', '--no-trunc', '--filter', 'dangling=true', '--format', 'json'];
}

/** Removes one image (and its parent layers no other image uses); an absent one is not an error. */
export function imageRmArgv(id: string): string[] {
  return ['rmi', '--ignore', id];
}

export function pullArgv(ref: string): string[] {
  return ['pull', '--quiet', ref];
}

/** The argv with environment values replaced, for errors and logs. */
export function redactArgv(argv: string[]): string[] {
  return argv.map((arg, i) => (argv[i - 1] === '--env' ? `${arg.split('=')[0]}=<redacted>` : arg));
}

export function startArgv(name: string): string[] {
  return ['start', name];
}

export function stopArgv(name: string, timeoutSeconds: number): string[] {
  return ['stop', '-t', String(timeoutSeconds), name];
}

export function unpauseArgv(name: string): string[] {
  return ['unpause', name];
}

export function initArgv(name: string): string[] {
  return ['init', name];
}

/** Forced removal (stop with the timeout, then kill); `--ignore` makes an absent container a success. */
export function rmArgv(name: string, timeoutSeconds: number): string[] {
  return ['rm', '-f', '-t', String(timeoutSeconds), '--ignore', name];
}

export function renameArgv(name: string, newName: string): string[] {
  return ['rename', name, newName];
}

/**
 * An isolated bridge network (containers of other isolated networks cannot reach it), or an internal one (no
 * gateway: neither the host nor any other network has a route to it, and it has no way out).
 */
export function networkCreateArgv(name: string, labels: Record<string, string>, internal = false): string[] {
  const kind = internal ? ['--internal'] : ['--opt', 'isolate=true'];
  return ['network', 'create', ...kind, ...labelFlags('--label', labels), name];
}

/** The network's subnets, as JSON, then its bridge on a line of its own. */
export function networkInspectArgv(name: string): string[] {
  return ['network', 'inspect', '--format', '{{json .Subnets}}\n{{.NetworkInterface}}', name];
}

/** Exits 0 when the image exists, 1 when it does not. */
export function imageExistsArgv(ref: string): string[] {
  return ['image', 'exists', ref];
}

export function buildArgv(spec: BuildSpec): string[] {
  const argv = ['build', '--layers', '-t', spec.tag, '-f', spec.file, ...labelFlags('--label', spec.labels)];
  if (spec.memoryBytes !== undefined) argv.push('--memory', String(spec.memoryBytes));
  if (spec.cpus !== undefined) {
    argv.push(
      '--cpu-period',
      String(CPU_PERIOD_US),
      '--cpu-quota',
      String(Math.round(spec.cpus * CPU_PERIOD_US)),
    );
  }
  argv.push(spec.contextDir);
  return argv;
}

export function execArgv(name: string, command: string[]): string[] {
  return ['exec', name, ...command];
}

/** `podman logs` of one container. */
export function logsArgv(
  name: string,
  opts: { follow?: boolean; since?: string; tail?: number; timestamps?: boolean },
): string[] {
  const argv = ['logs'];
  if (opts.follow) argv.push('--follow');
  if (opts.since !== undefined) argv.push('--since', opts.since);
  if (opts.tail !== undefined) argv.push('--tail', String(opts.tail));
  if (opts.timestamps) argv.push('--timestamps');
  argv.push(name);
  return argv;
}

/** The words that run a command through the secret shim, as the container's own command does (see runArgv). */
export function shimCommand(command: string[]): string[] {
  return [SHIM_BINARY, 'sh', '-c', SECRET_SHIM_SCRIPT, 'hiy-secrets', ...command];
}

/**
 * `podman exec` attached. With `secretShim` (the container has secretEnv), the command runs through the same
 * shim as the container's main process, so it sees the secret variables as well as the plain ones.
 */
export function execAttachedArgv(
  name: string,
  command: string[],
  opts: { interactive?: boolean; tty?: boolean; secretShim?: boolean; user?: string },
): string[] {
  const argv = ['exec'];
  if (opts.interactive) argv.push('-i');
  if (opts.tty) argv.push('-t');
  if (opts.user) argv.push('--user', opts.user);
  argv.push(name, ...(opts.secretShim ? shimCommand(command) : command));
  return argv;
}

/**
 * `podman run --rm` attached, for a one-off container: the workload's image, env, secrets and volumes, no
 * published ports, no restart policy. The spec's entrypoint is the command to run (through the shim when there
 * are secrets), so the image's own entrypoint is never needed.
 */
export function oneOffRunArgv(
  spec: RunSpec,
  opts: RunArgvOptions & { interactive?: boolean; tty?: boolean },
): string[] {
  const argv = runArgv({ ...spec, publish: [], restart: 'no' }, opts);
  argv.splice(0, 2, 'run', '--rm', ...(opts.interactive ? ['-i'] : []), ...(opts.tty ? ['-t'] : []));
  return argv;
}
