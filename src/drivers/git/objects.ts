// Writing one commit's objects (blobs, trees, the commit) as loose objects, in-process: `git hash-object -w`,
// `mktree` and `commit-tree` without starting git. Moving the branch is left to git (`update-ref`, see commit.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import git from 'isomorphic-git';
import { identityLine } from './refs.js';
import type { CommitAuthor } from './types.js';

const deflateAsync = promisify(deflate);
let counter = 0;

/** The repository's object directory when HIY can write there itself (SHA-1, `.git` a directory), else undefined. */
export async function writableGitdir(dir: string, parent: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{40}$/.test(parent)) return undefined; // SHA-256 repositories: git writes their objects
  for (const gitdir of [join(dir, '.git'), dir]) {
    const objects = await stat(join(gitdir, 'objects')).catch(() => undefined);
    if (objects?.isDirectory()) return gitdir;
  }
  return undefined;
}

/**
 * Writes one object and returns its id. As git does: compressed into a temporary file next to its final place,
 * then linked to its name (an object already there is the same content and is kept). Not fsynced, like git's
 * loose objects by default (`core.fsync`): the same durability as the `git commit` this replaces.
 */
export async function writeObject(
  gitdir: string,
  type: 'blob' | 'tree' | 'commit',
  body: Buffer,
): Promise<string> {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  const oid = createHash('sha1').update(raw).digest('hex');
  const dir = join(gitdir, 'objects', oid.slice(0, 2));
  const path = join(dir, oid.slice(2));
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return oid;
  const data = await deflateAsync(raw);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `tmp_obj_hiy_${process.pid}_${++counter}`);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o444 });
    await link(tmp, path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(tmp, { force: true });
  }
  return oid;
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
 * The tree `treeOid` with `changes` made (path relative to it → text, or null to delete), written; undefined
 * when it ends up empty. Only the trees on the changed paths are read and written again.
 */
async function rewriteTree(
  gitdir: string,
  treeOid: string | undefined,
  changes: Map<string, string | null>,
  cache: object,
): Promise<string | undefined> {
  const entries = new Map<string, Entry>();
  if (treeOid) {
    const { tree } = await git.readTree({ fs, gitdir, oid: treeOid, cache });
    for (const e of tree) entries.set(e.path, { mode: e.mode, name: e.path, oid: e.oid, type: e.type });
  }
  const below = new Map<string, Map<string, string | null>>();
  for (const [path, text] of changes) {
    const slash = path.indexOf('/');
    if (slash >= 0) {
      const head = path.slice(0, slash);
      if (!below.has(head)) below.set(head, new Map());
      below.get(head)!.set(path.slice(slash + 1), text);
    } else if (text === null) entries.delete(path);
    else {
      const old = entries.get(path);
      // An edited file keeps its mode (executable or not); anything else becomes a regular file.
      const mode = old?.mode === '100755' ? '100755' : '100644';
      const oid = await writeObject(gitdir, 'blob', Buffer.from(text));
      entries.set(path, { mode, name: path, oid, type: 'blob' });
    }
  }
  for (const [name, sub] of below) {
    const old = entries.get(name);
    const oid = await rewriteTree(gitdir, old?.type === 'tree' ? old.oid : undefined, sub, cache);
    if (oid) entries.set(name, { mode: '40000', name, oid, type: 'tree' });
    else entries.delete(name);
  }
  if (entries.size === 0 && treeOid !== undefined) return undefined;
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
  const cache = {};
  const { commit } = await git.readCommit({ fs, gitdir: opts.gitdir, oid: opts.parent, cache });
  const tree =
    (await rewriteTree(opts.gitdir, commit.tree, new Map(Object.entries(opts.files)), cache)) ??
    (await writeObject(opts.gitdir, 'tree', Buffer.alloc(0)));
  const who = identityLine(opts.author, new Date());
  const message = opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`;
  const body = `tree ${tree}\nparent ${opts.parent}\nauthor ${who}\ncommitter ${who}\n\n${message}`;
  return writeObject(opts.gitdir, 'commit', Buffer.from(body));
}
