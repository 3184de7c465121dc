// Writing one commit's objects (blobs, trees, the commit) as loose objects, in-process: `git hash-object -w`,
// `mktree` and `commit-tree` without starting git (the branch is moved by refs.ts). The files are a few hundred
// bytes: like git, this reads and writes them synchronously (each thread-pool round trip cost more than the
// operation; a commit is a handful of them, a millisecond in all).
import { createHash } from 'node:crypto';
import fs, { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { identityLine } from './refs.js';
import type { CommitAuthor } from './types.js';

let counter = 0;
/**
 * isomorphic-git's cache of parsed packfiles, kept for the process: a packfile never changes under its name (a
 * new pack is a new file), and parsing a pack's index again on every commit cost more than the commit itself.
 */
const packCache: object = {};

/** The repository's object directory when HIY can write there itself (SHA-1, `.git` a directory), else undefined. */
export async function writableGitdir(dir: string, parent: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{40}$/.test(parent)) return undefined; // SHA-256 repositories: git writes their objects
  for (const gitdir of [join(dir, '.git'), dir]) {
    if (statSync(join(gitdir, 'objects'), { throwIfNoEntry: false })?.isDirectory()) return gitdir;
  }
  return undefined;
}

/**
 * Writes one object and returns its id. As git does: compressed into a temporary file in the object directory,
 * then renamed to its name (an object of that name has the same content: replacing it changes nothing a reader
 * can see). Not fsynced, like git's loose objects by default (`core.fsync`): the durability of the `git commit`
 * this replaces. The data is a few kilobytes: compressing it in the calling thread is faster than a round trip
 * to the thread pool.
 */
export async function writeObject(
  gitdir: string,
  type: 'blob' | 'tree' | 'commit',
  body: Buffer,
): Promise<string> {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  const oid = createHash('sha1').update(raw).digest('hex');
  const objects = join(gitdir, 'objects');
  const dir = join(objects, oid.slice(0, 2));
  const tmp = join(objects, `tmp_obj_hiy_${process.pid}_${++counter}`);
  const path = join(dir, oid.slice(2));
  try {
    writeFileSync(tmp, deflateSync(raw), { flag: 'wx', mode: 0o444 });
    try {
      renameSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true }); // the first object of its fan-out directory
      renameSync(tmp, path);
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return oid;
}

/**
 * A loose object's type and body, read synchronously; undefined when it is not loose (packed: isomorphic-git
 * reads it).
 */
function readLoose(gitdir: string, oid: string): { type: string; body: Buffer } | undefined {
  let data: Buffer;
  try {
    data = inflateSync(readFileSync(join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2))));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const nul = data.indexOf(0);
  return { type: data.subarray(0, data.indexOf(32)).toString(), body: data.subarray(nul + 1) };
}

/** The entries of a tree object's body (`MODE NAME\0` and 20 bytes of id, one after the other). */
function parseTree(body: Buffer): Entry[] {
  const out: Entry[] = [];
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(32, at);
    const nul = body.indexOf(0, space);
    const mode = body.subarray(at, space).toString();
    const oid = body.subarray(nul + 1, nul + 21).toString('hex');
    const type = mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode, name: body.subarray(space + 1, nul).toString(), oid, type });
    at = nul + 21;
  }
  return out;
}

/** A tree's entries: loose, read here; packed, through isomorphic-git. */
async function readTreeEntries(gitdir: string, oid: string, cache: object): Promise<Entry[]> {
  const loose = readLoose(gitdir, oid);
  if (loose?.type === 'tree') return parseTree(loose.body);
  const { tree } = await git.readTree({ fs, gitdir, oid, cache });
  return tree.map((e) => ({ mode: e.mode, name: e.path, oid: e.oid, type: e.type }));
}

/** The tree of a commit: loose, read here; packed, through isomorphic-git. */
async function treeOfCommit(gitdir: string, oid: string, cache: object): Promise<string> {
  const loose = readLoose(gitdir, oid);
  if (loose?.type === 'commit') return loose.body.subarray(5, 45).toString();
  const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
  return commit.tree;
}

interface Entry {
  mode: string;
  name: string;
  oid: string;
  type: string;
}

/** A tree's body in git's format: entries sorted as git sorts them (a tree's name compares as `name/`). */
function treeBody(entries: Entry[]): Buffer {
  const key = (e: Entry) => (e.type === 'tree' ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b))));
  return Buffer.concat(
    sorted.flatMap((e) => [
      Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.name}\0`),
      Buffer.from(e.oid, 'hex'),
    ]),
  );
}

/**
 * The tree `treeOid` with `changes` made (path relative to it → the new blob's id, or null to delete), written;
 * undefined when it ends up empty. Only the trees on the changed paths are read and written again.
 */
async function rewriteTree(
  gitdir: string,
  treeOid: string | undefined,
  changes: Map<string, string | null>,
  cache: object,
): Promise<string | undefined> {
  const entries = new Map<string, Entry>();
  if (treeOid) for (const e of await readTreeEntries(gitdir, treeOid, cache)) entries.set(e.name, e);
  const below = new Map<string, Map<string, string | null>>();
  for (const [path, blob] of changes) {
    const slash = path.indexOf('/');
    if (slash >= 0) {
      const head = path.slice(0, slash);
      if (!below.has(head)) below.set(head, new Map());
      below.get(head)!.set(path.slice(slash + 1), blob);
    } else if (blob === null) entries.delete(path);
    else {
      const old = entries.get(path);
      // An edited file keeps its mode (executable or not); anything else becomes a regular file.
      const mode = old?.mode === '100755' ? '100755' : '100644';
      entries.set(path, { mode, name: path, oid: blob, type: 'blob' });
    }
  }
  for (const [name, sub] of below) {
    const old = entries.get(name);
    const oid = await rewriteTree(gitdir, old?.type === 'tree' ? old.oid : undefined, sub, cache);
    if (oid) entries.set(name, { mode: '40000', name, oid, type: 'tree' });
    else entries.delete(name);
  }
  // An empty directory is no tree in git (the root falls back to the empty tree in writeCommitObjects).
  if (entries.size === 0) return undefined;
  return writeObject(gitdir, 'tree', treeBody([...entries.values()]));
}

/**
 * Writes the objects of one commit on top of `parent` that changes exactly `files` (path → text, null
 * deletes), and returns the commit's id. Nothing refers to it until the branch is moved to it.
 */
export async function writeCommitObjects(opts: {
  gitdir: string;
  parent: string;
  files: Record<string, string | null>;
  author: CommitAuthor;
  message: string;
}): Promise<string> {
  const cache = packCache;
  const changes = new Map<string, string | null>();
  for (const [path, text] of Object.entries(opts.files)) {
    changes.set(path, text === null ? null : await writeObject(opts.gitdir, 'blob', Buffer.from(text)));
  }
  const parentTree = await treeOfCommit(opts.gitdir, opts.parent, cache);
  const tree =
    (await rewriteTree(opts.gitdir, parentTree, changes, cache)) ??
    (await writeObject(opts.gitdir, 'tree', Buffer.alloc(0)));
  const who = identityLine(opts.author, new Date());
  const message = opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`;
  const body = `tree ${tree}\nparent ${opts.parent}\nauthor ${who}\ncommitter ${who}\n\n${message}`;
  return writeObject(opts.gitdir, 'commit', Buffer.from(body));
}
