// What apply's image.build needs from src/push: a Containerfile for a detected stack, and the build caps.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildSettings } from './buildSettings.js';
import { type ContextSummary, type GeneratedContainerfile, generateContainerfile } from './stacks.js';

const KNOWN_TEXTS = ['package.json', 'requirements.txt', 'Procfile'] as const;

/** Reads what stack detection looks at: the top-level names of a context and a few small files. */
export async function summarizeContext(dir: string): Promise<ContextSummary> {
  const dirents = await readdir(dir, { withFileTypes: true });
  const entries = dirents.map((d) => (d.isDirectory() ? `${d.name}/` : d.name));
  if (entries.includes('public/')) {
    const inPublic = await readdir(join(dir, 'public')).catch(() => [] as string[]);
    if (inPublic.includes('index.html')) entries.push('public/index.html');
  }
  const texts: ContextSummary['texts'] = {};
  for (const name of KNOWN_TEXTS) {
    if (entries.includes(name)) texts[name] = await readFile(join(dir, name), 'utf8');
  }
  return { entries, texts };
}

/** The build support the engine hands to apply (structurally apply's BuildSupport). */
export function buildSupport(settings: BuildSettings): {
  containerfileFor(contextDir: string): Promise<GeneratedContainerfile>;
  caps: BuildSettings['caps'];
  capsNote?: string;
  timeoutMs: number;
} {
  return {
    containerfileFor: async (contextDir) =>
      generateContainerfile(await summarizeContext(contextDir), settings.images),
    caps: settings.caps,
    timeoutMs: settings.timeoutMs,
    ...(settings.capsNote ? { capsNote: settings.capsNote } : {}),
  };
}
