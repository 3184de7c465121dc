// Parsers of Podman's output (JSON of ps, volume ls, secret inspect, image inspect; network inspect): pure, zod-checked.
import * as z from 'zod';
import { hasLabels } from './argv.js';
import type { ContainerInfo, ImageCommand, ImageInfo, PortMapping, SecretInfo, VolumeInfo } from './types.js';

/** Parses networkInspectArgv's output: the network's bridge (empty when not reported). */
export function parseNetworkBridge(text: string): string {
  return text.trim().split('\n')[1]?.trim() ?? '';
}

/** Parses networkInspectArgv's output: the first IPv4 subnet. */
export function parseNetworkSubnet(text: string): string {
  const subnets =
    z
      .array(z.object({ subnet: z.string() }))
      .nullish()
      .parse(JSON.parse(text.trim().split('\n')[0]!)) ?? [];
  const v4 = subnets.find((s) => s.subnet.includes('.'));
  if (!v4) throw new Error('the network has no IPv4 subnet');
  return v4.subnet;
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
  Networks: z.array(z.string()).nullish(),
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
      // Not reported (null or missing): not judged by the plan, never taken for "on no network".
      ...(e.Networks != null && { networks: e.Networks }),
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

const secretInspectSchema = z.object({
  ID: z.string(),
  Spec: z.object({ Name: z.string(), Labels: labelsSchema }),
});

/** Parses `podman secret inspect` (names and labels; it never prints values unless asked to). */
export function parseSecretInspect(json: string): SecretInfo[] {
  return parseJsonArray(json, 'podman secret inspect').map((raw) => {
    const e = secretInspectSchema.parse(raw);
    return { id: e.ID, name: e.Spec.Name, labels: e.Spec.Labels };
  });
}

const imageCommandSchema = z.object({
  entrypoint: z.array(z.string()).nullish(),
  cmd: z.array(z.string()).nullish(),
});

/** Parses imageCommandArgv's output. */
export function parseImageCommand(json: string): ImageCommand {
  const e = imageCommandSchema.parse(JSON.parse(json.trim()));
  return { entrypoint: e.entrypoint ?? [], cmd: e.cmd ?? [] };
}

const imageInspectSchema = z.object({
  id: z.string().min(1),
  labels: z.record(z.string(), z.string()).nullish(),
  size: z.number().nonnegative().optional(),
});

/** Parses imageInspectArgv's output. */
export function parseImageInspect(json: string): ImageInfo {
  const e = imageInspectSchema.parse(JSON.parse(json.trim()));
  return { id: e.id, labels: e.labels ?? {}, ...(e.size !== undefined ? { size: e.size } : {}) };
}

const imagesEntrySchema = z.object({ Id: z.string(), Labels: z.record(z.string(), z.string()).nullish() });

/** The ids of the listed images (danglingImagesArgv's output) that carry every label. */
export function parseDanglingImages(text: string, labels: Record<string, string>): string[] {
  const entries =
    z
      .array(imagesEntrySchema)
      .nullish()
      .parse(text.trim() === '' ? [] : JSON.parse(text)) ?? [];
  return entries.filter((e) => hasLabels(e.Labels ?? {}, labels)).map((e) => e.Id.replace(/^sha256:/, ''));
}

/** The references `podman image inspect` says are not on the box, from its stderr. */
export function missingImages(stderr: string): Set<string> {
  const out = new Set<string>();
  for (const m of stderr.matchAll(
    /inspecting object: (\S+): (?:image not known|no such image|failed to find image)/gi,
  ))
    out.add(m[1]!);
  return out;
}
