// What apply's image.build needs from src/push: a Containerfile for a detected stack, and the build caps.
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildSettings } from './buildSettings.js';
import { mavenProxySettings } from './mavenProxy.js';
import {
  type BuildTrust,
  type ContextSummary,
  type GeneratedContainerfile,
  generateContainerfile,
  KNOWN_TEXTS,
} from './stacks/index.js';

/** Deeper paths detection looks for, listed in `entries` when present. */
const KNOWN_PATHS = ['public/index.html', 'public/index.php', 'vendor/cache/', '.m2/repository/'];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Reads what stack detection looks at: the top-level names of a context, a few deeper paths and small files. */
export async function summarizeContext(dir: string): Promise<ContextSummary> {
  const dirents = await readdir(dir, { withFileTypes: true });
  const entries = dirents.map((d) => (d.isDirectory() ? `${d.name}/` : d.name));
  for (const p of KNOWN_PATHS) {
    if (entries.includes(`${p.split('/')[0]}/`) && (await exists(join(dir, p)))) entries.push(p);
  }
  const texts: ContextSummary['texts'] = {};
  for (const name of KNOWN_TEXTS) {
    if (entries.includes(name)) texts[name] = await readFile(join(dir, name), 'utf8');
  }
  return { entries, texts };
}

/** Where the box keeps its CA bundle and its own extra certificates (Debian's ca-certificates layout). */
export interface TrustSources {
  caBundle: string;
  extraCertsDir: string;
}

const DEBIAN_TRUST: TrustSources = {
  caBundle: '/etc/ssl/certs/ca-certificates.crt',
  extraCertsDir: '/usr/local/share/ca-certificates',
};

/** The folder of the build context the box's trust files are put in (never part of the runtime image). */
export const TRUST_DIR = '.hiy-build';

/**
 * Puts what the build should trust into the context under .hiy-build/: the box's CA bundle (SSL_CERT_FILE when
 * set), its own extra CA certificates, and a Maven settings.xml with the box's proxy (host and port only).
 */
export async function writeBuildTrust(
  contextDir: string,
  env: NodeJS.ProcessEnv,
  sources: TrustSources = DEBIAN_TRUST,
): Promise<BuildTrust> {
  const out = join(contextDir, TRUST_DIR);
  await mkdir(out, { recursive: true });
  const trust: BuildTrust = { extraCerts: [] };
  const bundle = env.SSL_CERT_FILE || sources.caBundle;
  if (await exists(bundle)) {
    await copyFile(bundle, join(out, 'ca-certificates.crt'));
    trust.caBundle = `${TRUST_DIR}/ca-certificates.crt`;
  }
  const extra = await readdir(sources.extraCertsDir, { recursive: true }).catch(() => [] as string[]);
  for (const [i, name] of extra
    .filter((n) => n.endsWith('.crt'))
    .sort()
    .entries()) {
    await copyFile(join(sources.extraCertsDir, name), join(out, `extra-${i}.crt`));
    trust.extraCerts.push(`${TRUST_DIR}/extra-${i}.crt`);
  }
  const maven = mavenProxySettings(env);
  if (maven) {
    await writeFile(join(out, 'maven-settings.xml'), maven);
    trust.mavenSettings = `${TRUST_DIR}/maven-settings.xml`;
  }
  return trust;
}

/** The build support the engine hands to apply (structurally apply's BuildSupport). */
export function buildSupport(
  settings: BuildSettings,
  env: NodeJS.ProcessEnv = process.env,
): {
  containerfileFor(contextDir: string, app: string): Promise<GeneratedContainerfile>;
  caps: BuildSettings['caps'];
  capsNote?: string;
  uncapped?: boolean;
  timeoutMs: number;
} {
  return {
    containerfileFor: async (contextDir, app) => {
      const summary = await summarizeContext(contextDir);
      return generateContainerfile(summary, settings.images, await writeBuildTrust(contextDir, env), app);
    },
    caps: settings.caps,
    timeoutMs: settings.timeoutMs,
    ...(settings.capsNote ? { capsNote: settings.capsNote } : {}),
    ...(settings.uncapped ? { uncapped: true } : {}),
  };
}
