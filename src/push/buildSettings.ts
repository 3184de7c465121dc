// Build settings from the environment: base images of the detected stacks and the default build caps.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { HiyError } from '../model/errors.js';
import { DURATION_PATTERN, parseDuration, parseMemory } from '../model/quantity.js';
import type { StackImages } from './stacks/index.js';

export interface BuildSettings {
  images: StackImages;
  /** Caps for `podman build` when the App sets none; absent where the host cannot enforce them. */
  caps: { memoryBytes?: number; cpus?: number };
  /** Why caps are absent, for the build output. */
  capsNote?: string;
  /** No cap can be set on this box, not even an App's own (Settings.limitsNotEnforced). */
  uncapped?: boolean;
  /** Longest a build may take when the App sets no `spec.build.timeout` (HIY_BUILD_TIMEOUT, default 30m). */
  timeoutMs: number;
}

/** HIY_BUILD_TIMEOUT's default: a build that hangs (a download that never ends) fails after 30 minutes. */
export const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60_000;

export const DEFAULT_STACK_IMAGES: StackImages = {
  static: 'localhost/hiy/busybox:latest',
  node: 'localhost/hiy/node:20',
  python: 'localhost/hiy/python:3',
  goBuild: 'localhost/hiy/go-build:1.19',
  ruby: 'localhost/hiy/ruby:3.1',
  javaBuild: 'localhost/hiy/java-build:17',
  java: 'localhost/hiy/java:17',
  php: 'localhost/hiy/php:8.2',
  phpBuild: 'localhost/hiy/php-build:8.2',
};

/** The variable naming each stack image (HIY_BUILD_IMAGE_NODE, HIY_BUILD_IMAGE_GO_BUILD, …). */
const IMAGE_VARIABLES: Record<keyof StackImages, string> = {
  static: 'HIY_BUILD_IMAGE_STATIC',
  node: 'HIY_BUILD_IMAGE_NODE',
  python: 'HIY_BUILD_IMAGE_PYTHON',
  goBuild: 'HIY_BUILD_IMAGE_GO_BUILD',
  ruby: 'HIY_BUILD_IMAGE_RUBY',
  javaBuild: 'HIY_BUILD_IMAGE_JAVA_BUILD',
  java: 'HIY_BUILD_IMAGE_JAVA',
  php: 'HIY_BUILD_IMAGE_PHP',
  phpBuild: 'HIY_BUILD_IMAGE_PHP_BUILD',
};

/** Whether the kernel offers the cpu and memory cgroup controllers Podman needs for --memory/--cpu-quota. */
function hostHasCaps(): boolean {
  try {
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const c = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
      return /\bmemory\b/.test(c) && /\bcpu\b/.test(c);
    }
    return existsSync('/sys/fs/cgroup/memory') && existsSync('/sys/fs/cgroup/cpu');
  } catch {
    return false;
  }
}

export class BuildSettingsError extends HiyError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'BuildSettingsError';
  }
}

/**
 * HIY_BUILD_IMAGE_STATIC / _NODE / _PYTHON / _GO_BUILD / _RUBY / _JAVA_BUILD / _JAVA / _PHP / _PHP_BUILD name the
 * stack images (docs/stacks.md); HIY_BUILD_CPUS (default: all CPUs but
 * one, at least 1) and HIY_BUILD_MEMORY (default: half the RAM) cap builds so running apps keep answering.
 * `0` turns a cap off. HIY_BUILD_TIMEOUT (default 30m) bounds a build of an App without `spec.build.timeout`.
 */
export function buildSettingsFrom(env: NodeJS.ProcessEnv, limitsNotEnforced?: string): BuildSettings {
  const images = Object.fromEntries(
    Object.entries(IMAGE_VARIABLES).map(([k, v]) => [
      k,
      env[v] || DEFAULT_STACK_IMAGES[k as keyof StackImages],
    ]),
  ) as unknown as StackImages;
  let timeoutMs = DEFAULT_BUILD_TIMEOUT_MS;
  if (env.HIY_BUILD_TIMEOUT !== undefined && env.HIY_BUILD_TIMEOUT !== '') {
    const text = env.HIY_BUILD_TIMEOUT;
    if (!DURATION_PATTERN.test(text) || parseDuration(text) < 1000)
      throw new BuildSettingsError(
        `HIY_BUILD_TIMEOUT must be a duration of at least 1s such as 30m or 1h, not ${text}`,
      );
    timeoutMs = parseDuration(text);
  }
  // Rootless on cgroup v1 (or v2 without delegation) runc refuses a build container with a limit at all.
  if (limitsNotEnforced !== undefined) {
    return {
      images,
      timeoutMs,
      caps: {},
      capsNote: `builds run without CPU/memory caps: ${limitsNotEnforced}`,
      uncapped: true,
    };
  }
  if (!hostHasCaps()) {
    return {
      images,
      timeoutMs,
      caps: {},
      capsNote: 'builds run without CPU/memory caps: no cpu/memory cgroup controllers',
    };
  }
  let cpusCap: number | undefined = Math.max(1, cpus().length - 1);
  if (env.HIY_BUILD_CPUS !== undefined) {
    const n = Number(env.HIY_BUILD_CPUS);
    if (!Number.isFinite(n) || n < 0)
      throw new BuildSettingsError(`HIY_BUILD_CPUS must be a number, not ${env.HIY_BUILD_CPUS}`);
    cpusCap = n === 0 ? undefined : n;
  }
  let memoryCap: number | undefined = Math.floor(totalmem() / 2);
  if (env.HIY_BUILD_MEMORY !== undefined) {
    if (env.HIY_BUILD_MEMORY === '0') memoryCap = undefined;
    else {
      try {
        memoryCap = parseMemory(env.HIY_BUILD_MEMORY);
      } catch {
        throw new BuildSettingsError(
          `HIY_BUILD_MEMORY must be a size such as 2Gi, not ${env.HIY_BUILD_MEMORY}`,
        );
      }
    }
  }
  const caps: BuildSettings['caps'] = {};
  if (cpusCap !== undefined) caps.cpus = cpusCap;
  if (memoryCap !== undefined) caps.memoryBytes = memoryCap;
  return { images, caps, timeoutMs };
}
