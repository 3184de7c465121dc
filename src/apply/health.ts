// Waits until a container passes its health check, polling with a deadline.

import type { PodmanDriver, RunSpec } from '../drivers/podman/types.js';
import type { Prober } from '../drivers/probe/prober.js';
import { errorMessage, HiyError } from '../model/errors.js';
import type { DesiredHealthCheck } from '../model/workload.js';

export class HealthCheckError extends HiyError<{ container: string; lastError?: string }> {
  constructor(message: string, data: { container: string; lastError?: string }) {
    super('UNHEALTHY', message, { data });
    this.name = 'HealthCheckError';
  }
}

export interface HealthDeps {
  podman: PodmanDriver;
  prober: Prober;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

function hostPortFor(run: RunSpec, containerPort: number): number {
  const p = run.publish.find((m) => m.hostIp === '127.0.0.1' && m.containerPort === containerPort);
  if (!p) throw new Error(`container port ${containerPort} of ${run.name} is not published on 127.0.0.1`);
  return p.hostPort;
}

/**
 * How long one probe may take: at least PROBE_ATTEMPT_MIN_MS (a `podman exec` alone takes 1–2 s on a busy box,
 * so a probe bounded by a 1 s interval would never pass there), never past the check's deadline.
 */
export function probeAttemptMs(intervalMs: number, remainingMs: number): number {
  return Math.max(500, Math.min(remainingMs, Math.max(intervalMs, PROBE_ATTEMPT_MIN_MS)));
}

const PROBE_ATTEMPT_MIN_MS = 10_000;

async function probeOnce(
  hc: DesiredHealthCheck,
  run: RunSpec,
  deps: HealthDeps,
  timeout: number,
): Promise<void> {
  const probe = hc.probe;
  switch (probe.kind) {
    case 'http': {
      const url = `http://127.0.0.1:${hostPortFor(run, probe.port)}${probe.path}`;
      const status = await deps.prober.httpGet(url, timeout);
      if (status < 200 || status >= (probe.acceptBelow ?? 400)) {
        throw new Error(`GET ${probe.path} on port ${probe.port} answered ${status}`);
      }
      return;
    }
    case 'tcp':
      await deps.prober.tcpConnect('127.0.0.1', hostPortFor(run, probe.port), timeout);
      return;
    case 'command': {
      const { exitCode } = await deps.podman.exec(run.name, probe.command, timeout);
      if (exitCode !== 0) throw new Error(`${probe.command.join(' ')} exited ${exitCode}`);
      return;
    }
  }
}

/** Resolves once the probe passes; throws HealthCheckError when hc.timeoutMs passes first. */
export async function waitHealthy(hc: DesiredHealthCheck, run: RunSpec, deps: HealthDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + hc.timeoutMs;
  let lastError = '';
  // While a container starts, probe every 250 ms (or the interval when shorter) so a fast start is seen fast.
  const step = Math.min(250, hc.intervalMs);
  await sleep(Math.min(100, step));
  for (;;) {
    try {
      await probeOnce(hc, run, deps, probeAttemptMs(hc.intervalMs, deadline - now()));
      return;
    } catch (err) {
      lastError = errorMessage(err);
    }
    if (now() + step > deadline) {
      throw new HealthCheckError(
        `${run.name} did not become healthy within ${Math.round(hc.timeoutMs / 1000)}s: ${lastError}${hc.expectation ? ` (${hc.expectation})` : ''}`,
        { container: run.name, lastError },
      );
    }
    await sleep(step);
  }
}
