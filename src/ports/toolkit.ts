// The port author's toolkit: a declaration file turned into the label, an image's declaration checked (and its
// check hook run with example values), and the files of a new port.

import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { HookResult, PodmanDriver } from '../drivers/podman/types.js';
import { HiyError } from '../model/errors.js';
import { ownershipLabels } from '../model/labels.js';
import { hookTimeoutMs, PORT_LABEL, PortDeclaration } from '../model/portContract.js';
import { parseDeclarationLabel } from './read.js';

/** A declaration or image that breaks the contract; every problem is in the message, one per line. */
export class PortContractError extends HiyError<{ problems: string[] }> {
  constructor(message: string, data: { problems: string[] }) {
    super('PORT_CONTRACT', message, { data });
    this.name = 'PortContractError';
  }
}

/**
 * A declaration as the label's text: compact JSON with every `$` written `\u0024`, because `podman build
 * --label` (and LABEL in a Containerfile) expand `${…}` as build variables; JSON reads it back as `$`.
 */
export function labelText(declaration: unknown): string {
  return JSON.stringify(declaration).replace(/\$/g, '\\u0024');
}

/** A `port.yaml` as the label's text (labelText), or every problem as `file: field: message`. */
export function declarationLabel(file: string, text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(
      (e) => `${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}`,
    );
    throw new PortContractError(`${file} is not valid YAML:\n  ${problems.join('\n  ')}`, { problems });
  }
  const r = PortDeclaration.safeParse(doc.toJS());
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new PortContractError(`${file} breaks the port contract:\n  ${problems.join('\n  ')}`, {
      problems,
    });
  }
  return labelText(r.data);
}

export interface PortCheckReport {
  declaration: PortDeclaration;
  imageId: string;
  /** The check hook's outcome; absent when the port declares none. */
  check?: HookResult;
}

/**
 * Reads IMAGE's declaration, validates it and runs its check hook in a one-off container with example values
 * (default, then example) and fresh, labelled volumes that are removed afterwards.
 */
export async function checkPortImage(
  podman: PodmanDriver,
  image: string,
  instance: string,
  timeoutMs?: number,
): Promise<PortCheckReport> {
  const info = await podman.inspectImage(image);
  if (!info)
    throw new PortContractError(`${image} is not on this box (podman pull or build it first)`, {
      problems: [],
    });
  const label = info.labels[PORT_LABEL];
  if (label === undefined)
    throw new PortContractError(`${image} has no ${PORT_LABEL} label: it is not a port`, { problems: [] });
  const parsed = parseDeclarationLabel(label);
  if ('problems' in parsed) {
    throw new PortContractError(
      `${image}: its declaration breaks the port contract:\n  ${parsed.problems.join('\n  ')}`,
      {
        problems: parsed.problems,
      },
    );
  }
  const decl = parsed.declaration;
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, v] of Object.entries(decl.env)) {
    const value =
      v.example ??
      v.default ??
      (v.generate
        ? randomBytes(v.generate.length).toString('base64url').slice(0, v.generate.length)
        : undefined);
    if (value !== undefined) env[name] = value;
    else if (v.required) missing.push(`env.${name}: required, but has neither example nor default`);
    if (value !== undefined && v.pattern && !new RegExp(`^(?:${v.pattern})$`).test(value))
      missing.push(`env.${name}: its example ${JSON.stringify(value)} does not match ${v.pattern}`);
  }
  if (missing.length > 0)
    throw new PortContractError(`${image}: the check cannot run:\n  ${missing.join('\n  ')}`, {
      problems: missing,
    });
  if (!decl.hooks.check) return { declaration: decl, imageId: info.id };
  const id = randomBytes(3).toString('hex');
  const labels = ownershipLabels(instance);
  const volumes = decl.volumes.map((v) => ({
    source: `hiy-portcheck-${id}-${v.name}`,
    target: v.mountPath,
    readOnly: false,
  }));
  try {
    for (const v of volumes) await podman.createVolume(v.source, labels);
    const check = await podman.runHook(
      {
        name: `hiy-portcheck-${id}`,
        image,
        labels,
        env: { ...env, HIY_HOOK: 'check', HIY_RESOURCE: decl.name },
        entrypoint: decl.hooks.check,
        args: [],
        volumes,
        publish: [],
        restart: 'no',
        stopTimeoutSeconds: 1,
      },
      timeoutMs ?? hookTimeoutMs(decl.hooks),
    );
    return { declaration: decl, imageId: info.id, check };
  } finally {
    for (const v of volumes) await podman.removeVolume(v.source).catch(() => undefined);
  }
}

/** The files `hiy port new NAME` writes: path (relative to the new directory) → content. */
export function newPortFiles(
  name: string,
  from = 'docker.io/library/busybox:stable',
): Record<string, string> {
  return {
    Containerfile: `# The ${name} port: build with
#   podman build --label "${PORT_LABEL}=$(hiy port label port.yaml)" -t localhost/ports/${name}:0.1.0 .
FROM ${from}
COPY hooks/ /usr/local/lib/hiy/
RUN mkdir -p /data /www && echo "${name} is running" > /www/index.html
CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
`,
    'port.yaml': `# The ${name} port's declaration (docs/ports.md). \`hiy port label port.yaml\` turns it into the
# ${PORT_LABEL} label; \`hiy port check IMAGE\` checks the built image and runs its check hook.
contract: v1
name: ${name}
version: "0.1.0"
dataVersion: 1
description: ${name}, packaged for HIY
env:
  DOMAIN:
    description: the domain ${name} answers for
    required: true
    pattern: "[a-z0-9.-]+\\\\.[a-z]{2,}"
    example: example.org
volumes:
  - { name: data, mountPath: /data, description: everything ${name} keeps }
ports:
  - { containerPort: 8080, description: the web site, http: true }
healthcheck: { http: { path: /, port: 8080 }, interval: 2s, timeout: 60s }
hooks:
  check: [/usr/local/lib/hiy/check]
`,
    'hooks/check': `#!/bin/sh
# Runs before a new configuration first starts (a one-off container with the final env and volumes).
# Exit non-zero, with a reason on stderr, to stop the deploy: the running version keeps serving.
set -eu
[ -n "\${DOMAIN:-}" ] || { echo "DOMAIN is not set" >&2; exit 1; }
[ -w /data ] || { echo "/data is not writable" >&2; exit 1; }
echo "${name}: configuration for $DOMAIN looks right"
`,
  };
}
