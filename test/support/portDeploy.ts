// Port YAML for the port images (ports/NAME) as a state repo holds it: env, published loopback ports, routes.
import { freePort } from './ports.js';

export interface PortDeployOptions {
  image: string;
  env?: Record<string, string>;
  secretEnv?: Record<string, string>;
  /** Container port → host port, published on 127.0.0.1 (see `freeHostPorts`). */
  publish?: Record<number, number>;
  routes?: { host: string; port: number }[];
}

/**
 * A short `kind: Port` (the image's declaration gives the volumes, health check and defaults). Values are
 * written as JSON strings, which YAML reads as double-quoted scalars: multi-line values (keys) stay exact.
 */
export function portYaml(name: string, o: PortDeployOptions): string {
  const lines = ['apiVersion: hiy/v1', 'kind: Port', 'metadata:', `  name: ${name}`, 'spec:'];
  lines.push(`  image: ${o.image}`);
  const map = (field: string, m?: Record<string, string>) => {
    if (!m || Object.keys(m).length === 0) return;
    lines.push(`  ${field}:`);
    for (const [k, v] of Object.entries(m)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  };
  map('env', o.env);
  map('secretEnv', o.secretEnv);
  const publish = Object.entries(o.publish ?? {});
  if (publish.length) {
    lines.push('  ports:');
    for (const [c, host] of publish)
      lines.push(`    - { containerPort: ${c}, hostPort: ${host}, hostIP: 127.0.0.1 }`);
  }
  if (o.routes?.length) {
    lines.push('  routes:');
    for (const r of o.routes) lines.push(`    - { host: ${r.host}, port: ${r.port} }`);
  }
  lines.push('  stopGracePeriod: 5s');
  return `${lines.join('\n')}\n`;
}

/** Free loopback host ports for the given container ports. */
export async function freeHostPorts(...containerPorts: number[]): Promise<Record<number, number>> {
  const out: Record<number, number> = {};
  for (const c of containerPorts) out[c] = await freePort();
  return out;
}
