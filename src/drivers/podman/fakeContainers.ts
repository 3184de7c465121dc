// The fake Podman's containers as records: their states, published ports and conflicts, and Podman's errors.
import { comparePorts } from './output.js';
import { type ContainerInfo, PodmanError, type PortMapping, type RunSpec } from './types.js';

/** Podman's states HIY may meet; `stopping` is what a `podman stop` killed half-way leaves. */
export type FakeContainerState = 'created' | 'running' | 'paused' | 'stopping' | 'exited';

/** One container of the fake. */
export interface FakeContainer {
  id: string;
  spec: RunSpec;
  name: string;
  imageId: string;
  state: FakeContainerState;
  createdAt: number;
  /** The networks it is on: the spec's, or Podman's default one. */
  networks: string[];
}

/** `busybox` → `localhost/busybox:latest`, as Podman stores locally built short names. */
export function normalizeImageRef(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  const withTag = ref.slice(lastSlash + 1).includes(':') || ref.includes('@') ? ref : `${ref}:latest`;
  const first = withTag.split('/')[0] ?? '';
  const hasRegistry =
    withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? withTag : `localhost/${withTag}`;
}

/** The spec's published ports, as Podman lists them (sorted). */
export function toPorts(spec: RunSpec): PortMapping[] {
  return spec.publish
    .map((p) => ({
      hostIp: p.hostIp ?? '',
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol,
    }))
    .sort(comparePorts);
}

/** The first of `ports` another running container (not `self`) already holds on the host. */
export function portConflict(
  containers: Iterable<FakeContainer>,
  ports: PortMapping[],
  self: FakeContainer | undefined,
): PortMapping | undefined {
  const running = [...containers].filter((c) => c !== self && c.state === 'running');
  return ports.find((p) =>
    running.some((c) =>
      toPorts(c.spec).some(
        (q) =>
          q.hostPort === p.hostPort &&
          q.protocol === p.protocol &&
          (q.hostIp === p.hostIp || q.hostIp === '' || p.hostIp === ''),
      ),
    ),
  );
}

/** The container as `podman ps` lists it. */
export function containerInfo(c: FakeContainer): ContainerInfo {
  return {
    id: c.id,
    name: c.name,
    image: normalizeImageRef(c.spec.image),
    imageId: c.imageId,
    state: c.state,
    labels: { ...c.spec.labels },
    ports: toPorts(c.spec),
    createdAt: c.createdAt,
    networks: [...c.networks],
  };
}

/** Throws the PodmanError the real runner would for this failed call. */
export function fail(argv: string[], exitCode: number, stderr: string): never {
  const op =
    argv[0] === 'volume' || argv[0] === 'image' || argv[0] === 'secret' ? `${argv[0]} ${argv[1]}` : argv[0];
  throw new PodmanError(`podman ${op} failed (exit ${exitCode}): ${stderr}`, {
    argv,
    exitCode,
    stderr: `Error: ${stderr}`,
  });
}
