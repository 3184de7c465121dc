// Generates crds/<kind>.schema.json and the port contract's schema from the zod schemas; `--check` reports stale files.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Kind } from '../src/model/names.js';
import { PORT_CONTRACT_VERSION, PORT_LABEL, PortDeclaration } from '../src/model/portContract.js';
import { API_VERSION, KIND_SCHEMAS } from '../src/model/resources.js';

/** Where the generated schemas live, relative to the project root. */
export const CRDS_DIR = 'crds';

const DESCRIPTIONS: Record<Kind, string> = {
  App: 'An application HIY builds from a git repository on the box and runs as one container, optionally routed by Caddy.',
  Port: 'A prebuilt image HIY runs as one container, optionally routed by Caddy and with published ports.',
  User: 'A person who may push and manage apps, with SSH keys and per-app grants.',
  Notifier:
    'Where HIY reports deploys, rollbacks, drift corrections and failed snapshots: a JSON webhook or an ntfy-style URL.',
  Backup:
    'An offsite copy of the volumes in a restic repository (local path, SFTP, REST or S3): schedule, retention, checks and restore drills.',
};

/** The generated files: file name (e.g. `port.schema.json`) → pretty-printed JSON with a trailing newline. Pure. */
export function renderCrds(): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of Object.keys(KIND_SCHEMAS).sort() as Kind[]) {
    const file = `${kind.toLowerCase()}.schema.json`;
    // draft-7 is what yaml-language-server and VS Code understand best.
    const generated = z.toJSONSchema(KIND_SCHEMAS[kind], { io: 'input', target: 'draft-7' }) as Record<
      string,
      unknown
    >;
    const { $schema, ...rest } = generated;
    const schema = {
      $schema,
      $id: `urn:${API_VERSION.replace('/', ':')}:${kind.toLowerCase()}`,
      title: `HIY ${kind} (${API_VERSION})`,
      description: DESCRIPTIONS[kind],
      ...rest,
    };
    out.set(file, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return out;
}

/** The port contract's declaration schema (docs/ports.md): what a port image puts in its label. Pure. */
export function renderPortContract(): Map<string, string> {
  const generated = z.toJSONSchema(PortDeclaration, { io: 'input', target: 'draft-7' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  const schema = {
    $schema,
    $id: `urn:hiy:port:${PORT_CONTRACT_VERSION}`,
    title: `HIY port declaration (contract ${PORT_CONTRACT_VERSION})`,
    description: `What a port image declares about itself, as JSON in its ${PORT_LABEL} label (docs/ports.md).`,
    ...rest,
  };
  return new Map([['port-declaration.schema.json', `${JSON.stringify(schema, null, 2)}\n`]]);
}

/** Every generated file: the resource kinds' schemas and the port contract's. */
function allGenerated(): Map<string, string> {
  return new Map([...renderCrds(), ...renderPortContract()]);
}

/** Names of the files under dir whose content differs from what renderCrds gives (missing files included). */
export async function staleCrds(dir: string): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, text] of allGenerated()) {
    const onDisk = await readFile(path.join(dir, file), 'utf8').catch(() => undefined);
    if (onDisk !== text) stale.push(path.join(CRDS_DIR, file));
  }
  return stale;
}

async function main(argv: string[]): Promise<number> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.join(root, CRDS_DIR);
  if (argv.includes('--check')) {
    const stale = await staleCrds(dir);
    for (const f of stale) console.error(`stale: ${f}`);
    if (stale.length > 0) console.error('run `npm run crds` to regenerate');
    return stale.length > 0 ? 1 : 0;
  }
  await mkdir(dir, { recursive: true });
  for (const [file, text] of allGenerated()) await writeFile(path.join(dir, file), text);
  console.log(`wrote ${[...allGenerated().keys()].map((f) => path.join(CRDS_DIR, f)).join(', ')}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
