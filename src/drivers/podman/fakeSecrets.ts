// The fake Podman's secrets: values kept in memory, resolved into the environment the secret shim exports.
import { randomBytes } from 'node:crypto';
import { hasLabels } from './argv.js';
import { fail } from './fakeContainers.js';
import type { RunSpec, SecretInfo } from './types.js';

/** Secrets of one fake, by name. */
export class FakeSecrets {
  private readonly byName = new Map<string, SecretInfo & { value: string }>();

  create(argv: string[], name: string, value: string, labels: Record<string, string>): void {
    if (this.byName.has(name)) fail(argv, 125, `${name}: secret name in use`);
    this.byName.set(name, {
      id: randomBytes(12).toString('hex').slice(0, 25),
      name,
      labels: { ...labels },
      value,
    });
  }

  /** Names and labels (never values) of the secrets carrying every given label. */
  list(labels: Record<string, string>): SecretInfo[] {
    return [...this.byName.values()]
      .filter((s) => hasLabels(s.labels, labels))
      .map((s) => ({ id: s.id, name: s.name, labels: { ...s.labels } }));
  }

  remove(name: string): void {
    this.byName.delete(name);
  }

  /** Fails the call, as Podman does, when a secret the spec names is missing. */
  requireAll(argv: string[], spec: RunSpec): void {
    for (const s of spec.secretEnv ?? []) {
      if (!this.byName.has(s.secret))
        fail(argv, 125, `no secret with name or id "${s.secret}": no such secret`);
    }
  }

  /** The spec's env plus its secrets' values, as the shim exports them. */
  envOf(spec: RunSpec): Record<string, string> {
    const env = { ...spec.env };
    for (const s of spec.secretEnv ?? []) env[s.env] = this.byName.get(s.secret)?.value ?? '';
    return env;
  }
}
