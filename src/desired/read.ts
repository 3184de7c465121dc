// Reading a state repo's files, at a commit or in a working tree, within the size limits; what is skipped is said.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { GitReader, SkippedEntry } from '../drivers/git/types.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { formatBytes, STATE_FILE_MAX_BYTES, STATE_REPO_MAX_BYTES } from './limits.js';
import { fileTooLarge } from './parse.js';
import type { StateFile } from './types.js';

/** The state files read, and the problems of reading them: files over the limits, symlinks and submodules. */
export interface ReadFiles {
  files: (StateFile & { oid?: string })[];
  diagnostics: Diagnostic[];
}

/** True for a path outside dot-directories and node_modules, where state files are looked for. */
function inStateTree(file: string): boolean {
  return !file.split('/').some((d) => d.startsWith('.') || d === 'node_modules');
}

/** True for the files that hold resources: `*.yaml`/`*.yml` outside dot-directories and node_modules. */
export function isStateFilePath(file: string): boolean {
  const parts = file.split('/');
  const dirs = parts.slice(0, -1);
  if (dirs.some((d) => d.startsWith('.') || d === 'node_modules')) return false;
  return /\.ya?ml$/.test(parts[parts.length - 1]!);
}

/**
 * The warning for a symlink or submodule that might hold resources: a symlink named like a state file or like a
 * directory (no extension), a submodule anywhere state files are looked for. Both views (commit and working
 * tree) skip them and say so the same way.
 */
export function skippedWarning(entry: SkippedEntry): Diagnostic | undefined {
  if (!inStateTree(entry.path)) return undefined;
  const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
  if (entry.kind === 'symlink' && !isStateFilePath(entry.path) && name.includes('.')) return undefined;
  return entry.kind === 'symlink'
    ? {
        severity: 'warning',
        summary: 'symlink not followed: HIY reads only the regular files committed in the state repo',
        detail: 'commit the file (or directory) itself instead of a link to it',
        file: entry.path,
      }
    : {
        severity: 'warning',
        summary: "submodule not read: its files are another repository's, not the state repo's",
        detail: 'move the resources it holds into the state repo to have them applied',
        file: entry.path,
      };
}

/** Counts bytes against STATE_REPO_MAX_BYTES, in path order, so that both views stop at the same file. */
class RepoBudget {
  private used = 0;
  stopped?: Diagnostic;

  /** True when `bytes` more still fit; otherwise records why `file` and the rest were not read. */
  take(file: string, bytes: number, remaining: number): boolean {
    if (this.stopped) return false;
    if (this.used + bytes <= STATE_REPO_MAX_BYTES) {
      this.used += bytes;
      return true;
    }
    this.stopped = {
      severity: 'error',
      summary: `the state files take more than ${formatBytes(STATE_REPO_MAX_BYTES)}, the limit of a state repo; this file and the ${remaining} after it were not read`,
      detail: 'keep only resources in *.yaml files of the state repo (other YAML can go in a dot-directory)',
      file,
    };
    return false;
  }
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** How many blobs are read at once: enough to hide latency, few enough that memory stays bounded. */
const READ_BATCH = 8;

/**
 * Reads the state files of a commit in path order, until STATE_REPO_MAX_BYTES. A blob over STATE_FILE_MAX_BYTES is
 * an error and is not decoded. `blobTexts` caches decoded texts by blob id; `call` wraps each git call.
 */
export async function readCommitFiles(opts: {
  git: GitReader;
  dir: string;
  commit: string;
  blobTexts?: Map<string, string>;
  call: <T>(fn: () => Promise<T>) => Promise<T>;
}): Promise<ReadFiles> {
  const { git, dir, call } = opts;
  const skipped: SkippedEntry[] = [];
  const tree = await call(() => git.listFiles(dir, opts.commit, skipped));
  const diagnostics: Diagnostic[] = [];
  for (const s of skipped.sort(byPath)) {
    const w = skippedWarning(s);
    if (w) diagnostics.push(w);
  }
  const wanted = tree.filter((f) => isStateFilePath(f.path)).sort(byPath);
  const budget = new RepoBudget();
  const files: ReadFiles['files'] = [];
  const read = async (f: {
    path: string;
    oid: string;
  }): Promise<{ path: string; oid: string; bytes: number; text?: string }> => {
    const cached = opts.blobTexts?.get(f.oid);
    if (cached !== undefined) return { ...f, text: cached, bytes: Buffer.byteLength(cached) };
    const blob = await call(() => git.readBlob(dir, f.oid));
    if (blob.length > STATE_FILE_MAX_BYTES) return { ...f, bytes: blob.length };
    const text = new TextDecoder().decode(blob);
    opts.blobTexts?.set(f.oid, text);
    return { ...f, text, bytes: blob.length };
  };
  for (let i = 0; i < wanted.length && !budget.stopped; i += READ_BATCH) {
    const batch = await Promise.all(wanted.slice(i, i + READ_BATCH).map(read));
    for (const [j, f] of batch.entries()) {
      if (budget.stopped) break;
      if (f.text === undefined) diagnostics.push(fileTooLarge(f.path, f.bytes));
      else if (budget.take(f.path, f.bytes, wanted.length - i - j - 1))
        files.push({ path: f.path, text: f.text, oid: f.oid });
    }
  }
  if (budget.stopped) diagnostics.push(budget.stopped);
  return { files, diagnostics };
}

/** The directories `.gitmodules` names as submodules (`path = …`), relative to the repository's root. */
async function submodulePaths(dir: string): Promise<Set<string>> {
  const text = await fs.readFile(path.join(dir, '.gitmodules'), 'utf8').catch(() => '');
  return new Set([...text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)].map((m) => m[1]!.replace(/\/+$/, '')));
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Reads the state files of a directory on disk (uncommitted edits included), with `/`-separated relative paths,
 * under the same rules as readCommitFiles: symlinks are not followed, submodules (a directory with a `.git`, or
 * named in `.gitmodules`) are not entered, and each is reported the same way; the same size limits apply.
 */
export async function readWorktreeFiles(dir: string): Promise<ReadFiles> {
  const submodules = await submodulePaths(dir);
  const skipped: SkippedEntry[] = [];
  const candidates: { path: string }[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) skipped.push({ path: p, kind: 'symlink' });
      else if (e.isDirectory()) {
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        if (submodules.has(p) || (await exists(path.join(dir, p, '.git'))))
          skipped.push({ path: p, kind: 'submodule' });
        else await walk(p);
      } else if (e.isFile() && isStateFilePath(p)) candidates.push({ path: p });
    }
  };
  await walk('');
  const diagnostics: Diagnostic[] = [];
  for (const s of skipped.sort(byPath)) {
    const w = skippedWarning(s);
    if (w) diagnostics.push(w);
  }
  candidates.sort(byPath);
  const budget = new RepoBudget();
  const files: StateFile[] = [];
  for (const [i, c] of candidates.entries()) {
    const full = path.join(dir, c.path);
    const { size } = await fs.stat(full);
    if (size > STATE_FILE_MAX_BYTES) diagnostics.push(fileTooLarge(c.path, size));
    else if (budget.take(c.path, size, candidates.length - i - 1))
      files.push({ path: c.path, text: await fs.readFile(full, 'utf8') });
    else break;
  }
  if (budget.stopped) diagnostics.push(budget.stopped);
  return { files, diagnostics };
}
