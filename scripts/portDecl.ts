// A port's sources under ports/NAME: its declaration (port.yaml, validated against the contract), packages, README.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, type Node, parseDocument } from 'yaml';
import { PORT_LABEL, PortDeclaration } from '../src/model/portContract.js';

/** Where the ports live: ports/ at the project root. */
export function portsRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'ports');
}

/** The image a port version is built as. */
export function portImageRef(name: string, version: string): string {
  return `localhost/hiy-ports/${name}:${version}`;
}

/** A port's declaration is invalid: every problem, each with file:line:col and the field path. */
export class PortDeclarationError extends Error {
  readonly code = 'PORT_DECLARATION_INVALID';
  constructor(readonly data: { file: string; problems: string[] }) {
    super(
      `${data.file}: the declaration does not follow the port contract:\n  ${data.problems.join('\n  ')}`,
    );
  }
}

export interface PortSources {
  name: string;
  dir: string;
  /** The declaration as validated (defaults filled in): what goes into the io.hiy.port.v1 label. */
  declaration: PortDeclaration;
  /** The Debian packages its root file system includes (ports/NAME/packages, one per line, # comments). */
  packages: string[];
  /** How to use it (ports/NAME/NOTES.md, optional): appended to the generated README. */
  notes?: string;
}

/** Parses and validates a declaration's YAML text; throws PortDeclarationError listing every problem. Pure. */
export function parseDeclaration(file: string, text: string): PortDeclaration {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lc.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const problems = doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (problems.length > 0) throw new PortDeclarationError({ file, problems });
  const parsed = PortDeclaration.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    // The deepest node of the path that exists in the file gives the position.
    let node: Node | undefined;
    for (let n = issue.path.length; n >= 0 && !node; n--)
      node = doc.getIn(issue.path.slice(0, n) as (string | number)[], true) as Node | undefined;
    const where = node?.range ? at(node.range[0]) : `${file}:1:1`;
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    problems.push(`${where}: ${field}: ${issue.message}`);
  }
  throw new PortDeclarationError({ file, problems });
}

/** Reads ports/NAME: the declaration (validated; its name must be the directory's) and the package list. */
export async function readPort(name: string): Promise<PortSources> {
  const dir = path.join(portsRoot(), name);
  const file = path.join('ports', name, 'port.yaml');
  const declaration = parseDeclaration(file, await readFile(path.join(dir, 'port.yaml'), 'utf8'));
  if (declaration.name !== name)
    throw new PortDeclarationError({
      file,
      problems: [`${file}:1:1: name: must be "${name}", the port's directory`],
    });
  const packages = (await readFile(path.join(dir, 'packages'), 'utf8'))
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  const notes = await readFile(path.join(dir, 'NOTES.md'), 'utf8').catch(() => undefined);
  return { name, dir, declaration, packages, ...(notes ? { notes } : {}) };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README of a port's settings, generated from its declaration and package list. Pure. */
export function renderPortReadme(p: Pick<PortSources, 'declaration' | 'packages' | 'notes'>): string {
  const d = p.declaration;
  const lines = [
    `<!-- Generated from port.yaml (and NOTES.md) by \`npx tsx scripts/ports.ts readme\`; edit those, not this file. -->`,
    `# ${d.name} ${d.version}`,
    '',
    `${d.description}`,
    '',
    `Image \`${portImageRef(d.name, d.version)}\` (port contract ${d.contract}, label \`${PORT_LABEL}\`), ` +
      `data version ${d.dataVersion}. Built offline from Debian 12 packages: ${p.packages.map((x) => `\`${x}\``).join(', ')}.`,
    '',
    '## Settings',
    '',
    '| variable | required | secret | default | pattern | description |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, v] of Object.entries(d.env)) {
    const secret = v.generate ? `generated (${v.generate.length} chars)` : v.secret ? 'yes' : '';
    const dflt = v.default !== undefined ? `\`${cell(v.default)}\`` : '';
    const pattern = v.pattern !== undefined ? `\`${cell(v.pattern)}\`` : '';
    const example = v.example !== undefined ? ` (e.g. \`${cell(v.example)}\`)` : '';
    lines.push(
      `| \`${name}\` | ${v.required ? 'yes' : ''} | ${secret} | ${dflt} | ${pattern} | ${cell(v.description)}${example} |`,
    );
  }
  lines.push('', '## Volumes', '', '| name | mount path | holds |', '|---|---|---|');
  for (const v of d.volumes) lines.push(`| \`${v.name}\` | \`${v.mountPath}\` | ${cell(v.description)} |`);
  lines.push('', '## Ports', '', '| container port | protocol | http | for |', '|---|---|---|---|');
  for (const x of d.ports)
    lines.push(`| ${x.containerPort} | ${x.protocol} | ${x.http ? 'yes' : ''} | ${cell(x.description)} |`);
  if (d.healthcheck) {
    const hc = d.healthcheck;
    const probe = hc.http
      ? `HTTP GET \`${hc.http.path}\` on ${hc.http.port}`
      : hc.tcp
        ? `TCP connect to ${hc.tcp.port}`
        : `command \`${(hc.command ?? []).join(' ')}\``;
    lines.push('', '## Health check', '', `${probe}, every ${hc.interval}, for at most ${hc.timeout}.`);
  }
  const hooks = Object.entries(d.hooks).filter(([, v]) => v !== undefined);
  if (hooks.length > 0) {
    lines.push('', '## Hooks', '', '| hook | command |', '|---|---|');
    for (const [k, v] of hooks) lines.push(`| ${k} | \`${(v as string[]).join(' ')}\` |`);
  }
  if (d.exec) {
    lines.push(
      '',
      '## Exec',
      '',
      `\`hiy exec NAME -- CMD\` runs as \`${d.exec.user}\` (over SSH and the API too); \`--user U\` runs as another user.`,
    );
  }
  const provides = Object.entries(d.provides);
  if (provides.length > 0) {
    lines.push('', '## Provides (to linked resources)', '', '| variable | value |', '|---|---|');
    for (const [k, v] of provides) lines.push(`| \`${k}\` | \`${cell(v)}\` |`);
  }
  if (p.notes) lines.push('', '## Using it', '', p.notes.trim());
  return `${lines.join('\n')}\n`;
}

/** The READMEs (ports/NAME/README.md) that differ from what the declarations generate. */
export async function stalePortReadmes(names: string[]): Promise<string[]> {
  const stale: string[] = [];
  for (const name of names) {
    const p = await readPort(name);
    const onDisk = await readFile(path.join(p.dir, 'README.md'), 'utf8').catch(() => undefined);
    if (onDisk !== renderPortReadme(p)) stale.push(path.join('ports', name, 'README.md'));
  }
  return stale;
}

/** Writes every port's README.md; returns the files written. */
export async function writePortReadmes(names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const p = await readPort(name);
    await writeFile(path.join(p.dir, 'README.md'), renderPortReadme(p));
    out.push(path.join('ports', name, 'README.md'));
  }
  return out;
}
