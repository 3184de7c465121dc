// Pure Podman argv builders and output parsers: no I/O, one builder per operation, arrays never shell strings.
import { z } from 'zod';
import type { BuildSpec, ContainerInfo, PortMapping, RunSpec, VolumeInfo } from './types.js';

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

/**
 * `podman run -d` for a spec. Images under `localhost/` exist only on this box (HIY builds or imports
 * them), so `--pull=never` makes a missing one fail at once instead of retrying a registry at localhost:443
 * for seconds; any other image is pulled when missing, as users of registries expect.
 */
export function runArgv(spec: RunSpec): string[] {
  const pull = spec.image.startsWith('localhost/') ? '--pull=never' : '--pull=missing';
  const argv = ['run', '-d', pull, '--name', spec.name, ...labelFlags('--label', spec.labels)];
  for (const [k, v] of sortedEntries(spec.env)) argv.push('--env', `${k}=${v}`);
  if (spec.entrypoint) argv.push('--entrypoint', JSON.stringify(spec.entrypoint));
  for (const v of spec.volumes) argv.push('-v', `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`);
  for (const p of spec.publish) argv.push('-p', publishFlag(p));
  argv.push('--restart', spec.restart);
  if (spec.memoryBytes !== undefined) argv.push('--memory', String(spec.memoryBytes));
  if (spec.cpus !== undefined) argv.push('--cpus', String(spec.cpus));
  argv.push('--stop-timeout', String(spec.stopTimeoutSeconds), spec.image, ...(spec.args ?? []));
  return argv;
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

/** Forced removal (stop with the timeout, then kill); `--ignore` makes an absent container a success. */
export function rmArgv(name: string, timeoutSeconds: number): string[] {
  return ['rm', '-f', '-t', String(timeoutSeconds), '--ignore', name];
}

export function renameArgv(name: string, newName: string): string[] {
  return ['rename', name, newName];
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

const labelsSchema = z
  .record(z.string(), z.string())
  .nullish()
  .transform((l) => l ?? {});

const psPortSchema = z.object({
  host_ip: z.string().nullish(),
  container_port: z.number().int(),
  host_port: z.number().int(),
  range: z.number().int().nullish(),
  protocol: z.string(),
});

const psEntrySchema = z.object({
  Id: z.string(),
  Names: z.array(z.string()).nullish(),
  Image: z.string(),
  ImageID: z.string().nullish(),
  State: z.string(),
  Labels: labelsSchema,
  Ports: z.array(psPortSchema).nullish(),
  Created: z.number(),
});

const volumeEntrySchema = z.object({
  Name: z.string(),
  Labels: labelsSchema,
  Mountpoint: z.string().nullish(),
});

/** Orders ports so that equal sets compare equal (Podman's order is not stable). */
export function comparePorts(a: PortMapping, b: PortMapping): number {
  return (
    a.hostPort - b.hostPort ||
    a.containerPort - b.containerPort ||
    a.protocol.localeCompare(b.protocol) ||
    a.hostIp.localeCompare(b.hostIp)
  );
}

function expandPorts(ports: z.infer<typeof psPortSchema>[]): PortMapping[] {
  const out: PortMapping[] = [];
  for (const p of ports) {
    const protocol = p.protocol.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') continue; // sctp is never published by HIY
    for (let i = 0; i < Math.max(1, p.range ?? 1); i++) {
      out.push({
        hostIp: p.host_ip ?? '',
        hostPort: p.host_port + i,
        containerPort: p.container_port + i,
        protocol,
      });
    }
  }
  return out.sort(comparePorts);
}

function parseJsonArray(json: string, what: string): unknown[] {
  const text = json.trim();
  if (text === '') return [];
  const value: unknown = JSON.parse(text);
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a JSON array`);
  return value;
}

/** Parses `podman ps -a --format json`; `Labels: null` becomes `{}`, port ranges become one mapping each. */
export function parsePs(json: string): ContainerInfo[] {
  return parseJsonArray(json, 'podman ps').map((raw) => {
    const e = psEntrySchema.parse(raw);
    return {
      id: e.Id,
      name: e.Names?.[0] ?? '',
      image: e.Image,
      imageId: e.ImageID ?? '',
      state: e.State,
      labels: e.Labels,
      ports: expandPorts(e.Ports ?? []),
      createdAt: e.Created,
    };
  });
}

/** Parses `podman volume ls --format json`. */
export function parseVolumeLs(json: string): VolumeInfo[] {
  return parseJsonArray(json, 'podman volume ls').map((raw) => {
    const e = volumeEntrySchema.parse(raw);
    return { name: e.Name, labels: e.Labels, mountpoint: e.Mountpoint ?? '' };
  });
}
