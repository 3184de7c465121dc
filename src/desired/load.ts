// Loading the desired state: the state repo at its branch head (or a working tree) → resources, workloads, diagnostics.

import fs from 'node:fs/promises';
import path from 'node:path';
import { GitError, type GitReader } from '../drivers/git/types.js';
import { type Diagnostic, formatPath } from '../model/diagnostics.js';
import { errorMessage } from '../model/errors.js';
import { objectNames, resourceId } from '../model/names.js';
import { parseDuration } from '../model/quantity.js';
import type { AppResource, Resource, UserResource } from '../model/resources.js';
import type { Settings } from '../model/settings.js';
import { type BuildSource, type DesiredWorkload, toDesiredWorkload } from '../model/workload.js';
import { type BoxPorts, checkResources, diagnosticAt } from './crossCheck.js';
import { isGeneratedBuild } from './generatedBuild.js';
import { STATE_DOCUMENTS_MAX } from './limits.js';
import { cappedPerFile, mergeResults, type ParseResult, parseStateFile, parseStateFiles } from './parse.js';
import { isStateFilePath, readCommitFiles, readWorktreeFiles } from './read.js';
import type { DesiredResult, LocatedResource, StateFile } from './types.js';

export { isStateFilePath };

/** The commit id reported when the state was read from files on disk rather than from a commit. */
export const WORKTREE_COMMIT = 'worktree';

/** What loading needs besides the files: where the state repo is, and how to resolve App sources. */
export interface ResolveOptions {
  /** The box's ports (HIY_HTTP_ADDR, HIY_HTTPS_ADDR, HIY_TLS, HIY_UPSTREAM_PORTS), when given, are checked too. */
  settings: Pick<Settings, 'stateRepo' | 'branch' | 'instance'> &
    BoxPorts &
    Partial<Pick<Settings, 'limitsNotEnforced'>>;
  git: GitReader;
  /** Directory of HIY-hosted repositories (`<dataDir>/repos`); without it `source.repo` is an error. */
  reposDir?: string;
  /** Directory of HIY's mirrors of URL sources (`<dataDir>/mirrors`); without it a URL source is an error. */
  mirrorsDir?: string;
  /**
   * Commits to use instead of a branch head, keyed `gitDir + "\0" + branch`: a push being received is built
   * and deployed before git moves the branch (src/push/receive.ts).
   */
  sourceOverrides?: ReadonlyMap<string, string>;
}

/** The key of ResolveOptions.sourceOverrides. */
export function sourceKey(gitDir: string, branch: string): string {
  return `${gitDir}\0${branch}`;
}

export interface LoadOptions extends ResolveOptions {
  /** Text of blobs by id, kept across loads so an unchanged file is not read again (IsomorphicGitReader.blobTexts). */
  blobTexts?: Map<string, string>;
  /** Parse results by `oid:path`, kept across loads so an unchanged file is not parsed again. */
  parsed?: Map<string, ParseResult>;
}

/** True for a source that names a remote (`https://…`, `ssh://…`, `file://…`, `git@host:path`), not a path. */
export function isGitUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/:]+@[^/:]+:/.test(source);
}

/** Where HIY mirrors an App's URL source: `<mirrorsDir>/<app>.git` (a bare `git clone --mirror`). */
export function mirrorDir(mirrorsDir: string, app: string): string {
  return path.join(mirrorsDir, `${app}.git`);
}

/**
 * Loads the state repo at the head of its branch. Uncommitted edits are never seen.
 * Throws GitError when the state repo itself cannot be read; every other problem is a diagnostic.
 */
export async function loadDesiredState(opts: LoadOptions): Promise<DesiredResult> {
  const { stateRepo, branch } = opts.settings;
  const call = <T>(fn: () => Promise<T>) => stateRepoCall(stateRepo, branch, fn);
  const commit = await call(() => opts.git.resolveBranch(stateRepo, branch));
  const read = await readCommitFiles({
    git: opts.git,
    dir: stateRepo,
    commit,
    blobTexts: opts.blobTexts,
    call,
  });
  if (opts.blobTexts) prune(opts.blobTexts, new Set(read.files.map((f) => f.oid!)));
  const cache = opts.parsed;
  const keys = new Set<string>();
  const parsed = parseInOrder(read.files, (f) => {
    if (!cache) return parseStateFile(f);
    const key = `${f.oid}:${f.path}`;
    keys.add(key);
    let r = cache.get(key);
    if (!r) {
      r = parseStateFile(f);
      cache.set(key, r);
    }
    return r;
  });
  if (cache) prune(cache, keys);
  return resolveDesired(withReadProblems(parsed, read.diagnostics), commit, opts);
}

/** State files in memory, with what reading them found (see loadWorktreeFiles). */
export type StateFiles = StateFile[] & { diagnostics?: Diagnostic[] };

/**
 * Loads state from files already in memory (e.g. the working tree, for `hiy validate --worktree`), with the
 * diagnostics of reading them when they came from loadWorktreeFiles. The commit is `worktree` unless given.
 */
export async function loadDesiredFromFiles(
  files: StateFiles,
  opts: ResolveOptions & { commit?: string },
): Promise<DesiredResult> {
  const wanted = files.filter((f) => isStateFilePath(f.path));
  const parsed = parseInOrder(
    wanted.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    parseStateFile,
  );
  return resolveDesired(
    withReadProblems(parsed, files.diagnostics ?? []),
    opts.commit ?? WORKTREE_COMMIT,
    opts,
  );
}

/**
 * Reads the state files of a directory on disk (uncommitted edits included), with `/`-separated relative paths,
 * under the rules of the committed view (readWorktreeFiles); what was skipped or refused is in `diagnostics`.
 */
export async function loadWorktreeFiles(dir: string): Promise<StateFiles> {
  const read = await readWorktreeFiles(dir);
  return Object.assign(read.files, { diagnostics: read.diagnostics });
}

/**
 * Parses files in path order until their documents together pass STATE_DOCUMENTS_MAX: the file where that happens
 * gets the error, and the files after it are not parsed.
 */
function parseInOrder<F extends StateFile>(files: F[], parseOne: (file: F) => ParseResult): ParseResult {
  const results: ParseResult[] = [];
  let documents = 0;
  for (const [i, file] of files.entries()) {
    const r = parseOne(file);
    results.push(r);
    documents += r.documents ?? 0;
    if (documents > STATE_DOCUMENTS_MAX) {
      results.push({
        resources: [],
        diagnostics: [
          {
            severity: 'error',
            summary: `the state repo has more than ${STATE_DOCUMENTS_MAX} documents (counted in path order up to this file); the ${files.length - i - 1} file(s) after it were not checked`,
            file: file.path,
          },
        ],
      });
      break;
    }
  }
  return mergeResults(results);
}

function withReadProblems(parsed: ParseResult, diagnostics: Diagnostic[]): ParseResult {
  return diagnostics.length ? { ...parsed, diagnostics: [...diagnostics, ...parsed.diagnostics] } : parsed;
}

function prune<V>(cache: Map<string, V>, keep: Set<string>): void {
  for (const k of cache.keys()) if (!keep.has(k)) cache.delete(k);
}

/** Runs a git call on the state repo, naming the state repo in the error. */
async function stateRepoCall<T>(dir: string, branch: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GitError) {
      if (err.data.reason === 'no-branch') {
        throw new GitError(
          `state repo ${dir} has no branch ${branch}`,
          { dir, ref: branch, reason: 'no-branch' },
          { cause: err },
        );
      }
      if (err.data.dir === dir) throw err;
    }
    throw new GitError(`state repo ${dir}: ${errorMessage(err)}`, { dir, ref: branch }, { cause: err });
  }
}

/** Cross-checks, resolves App sources and builds workloads; a state only when no error was found. */
async function resolveDesired(
  parsed: ParseResult,
  commit: string,
  opts: ResolveOptions,
): Promise<DesiredResult> {
  const byId = (a: LocatedResource, b: LocatedResource) => {
    const x = resourceId(a.resource.kind, a.resource.metadata.name);
    const y = resourceId(b.resource.kind, b.resource.metadata.name);
    return x < y ? -1 : x > y ? 1 : a.file.localeCompare(b.file) || a.line - b.line;
  };
  const resources = [...parsed.resources].sort(byId);
  const { httpAddr, httpsAddr, tls, upstreamPorts, portFloor, limitsNotEnforced } = opts.settings;
  const checked = checkResources(resources, {
    incomplete: parsed.incomplete,
    box: { httpAddr, httpsAddr, tls, upstreamPorts, portFloor },
    ...(limitsNotEnforced !== undefined && { limitsNotEnforced }),
  });
  // Parse diagnostics come capped per file; these are capped per file the same way below.
  const found: Diagnostic[] = [...checked];

  const names = objectNames(opts.settings.instance);
  const workloads: DesiredWorkload[] = [];
  const branchHeads = new Map<string, Promise<string>>();
  await Promise.all(
    resources.map(async (lr) => {
      const r = lr.resource;
      if (r.kind === 'Port') {
        workloads.push(toDesiredWorkload(r, { names }));
      } else if (r.kind === 'App') {
        const build = await resolveSource(
          lr as LocatedResource & { resource: AppResource },
          opts,
          branchHeads,
          found,
        );
        if (build) workloads.push(toDesiredWorkload(r, { names, build }));
      }
    }),
  );
  workloads.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byPosition = (a: Diagnostic, b: Diagnostic) =>
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0);
  const diagnostics = [...parsed.diagnostics, ...cappedPerFile(found.sort(byPosition))].sort(byPosition);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const users = resources
    .filter((lr) => lr.resource.kind === 'User')
    .map((lr) => lr.resource as UserResource);
  return {
    state: {
      repo: opts.settings.stateRepo,
      branch: opts.settings.branch,
      commit,
      resources,
      workloads,
      users,
    },
    diagnostics,
  };
}

/** The git directory of an App's source: its mirror (URL), a path (relative to the state repo), or a hosted repo. */
async function sourceGitDir(
  lr: LocatedResource & { resource: AppResource },
  opts: ResolveOptions,
  report: (field: string, summary: string, detail?: string) => void,
): Promise<string | undefined> {
  const { source } = lr.resource.spec;
  if (source.git !== undefined && isGitUrl(source.git)) {
    if (!opts.mirrorsDir) {
      report('git', "a URL source needs HIY's data directory for its mirror");
      return undefined;
    }
    const gitDir = mirrorDir(opts.mirrorsDir, lr.resource.metadata.name);
    const fetched = await fs.stat(gitDir).then(
      () => true,
      () => false,
    );
    if (!fetched) {
      report(
        'git',
        `source ${source.git} is not fetched yet`,
        `HIY fetches it when its push webhook arrives; to fetch it now: hiy fetch ${lr.resource.metadata.name}`,
      );
      return undefined;
    }
    return gitDir;
  } else if (source.git !== undefined) {
    return path.resolve(opts.settings.stateRepo, source.git);
  } else if (opts.reposDir) {
    return path.join(opts.reposDir, `${source.repo}.git`);
  } else {
    report(
      'repo',
      'source.repo needs HIY-hosted repositories (not available yet)',
      'use source.git with a path on the box',
    );
    return undefined;
  }
}

/** Finds an App's source repository and the commit at its branch head; problems become diagnostics at spec.source. */
async function resolveSource(
  lr: LocatedResource & { resource: AppResource },
  opts: ResolveOptions,
  branchHeads: Map<string, Promise<string>>,
  diagnostics: Diagnostic[],
): Promise<BuildSource | undefined> {
  const { source, build } = lr.resource.spec;
  const report = (field: string, summary: string, detail?: string) => {
    diagnostics.push(
      diagnosticAt(lr, formatPath(['spec', 'source', field]), { summary, ...(detail && { detail }) }),
    );
  };
  const gitDir = await sourceGitDir(lr, opts, report);
  if (gitDir === undefined) return undefined;
  const key = sourceKey(gitDir, source.branch);
  let head = branchHeads.get(key);
  if (!head) {
    const override = opts.sourceOverrides?.get(key);
    head = override ? Promise.resolve(override) : opts.git.resolveBranch(gitDir, source.branch);
    branchHeads.set(key, head);
  }
  try {
    const commit = await head;
    const out: BuildSource = { gitDir, branch: source.branch, commit, context: build.context };
    if (build.dockerfile !== undefined) out.dockerfile = build.dockerfile;
    if (build.timeout !== undefined) out.timeoutMs = parseDuration(build.timeout);
    if (await isGeneratedBuild(opts.git, out)) out.generated = true;
    return out;
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    const missingBranch = err.data.reason === 'no-branch';
    const notARepository = err.data.reason === 'not-a-repository';
    if (source.repo !== undefined && (missingBranch || notARepository)) {
      // A hosted repository is created by its first push: until then the App is valid and simply not deployed.
      diagnostics.push(
        diagnosticAt(lr, formatPath(['spec', 'source', 'repo']), {
          severity: 'warning',
          summary: `waiting for the first push to ${source.repo} (branch ${source.branch}); not deployed yet`,
        }),
      );
      return undefined;
    }
    const field =
      missingBranch && lr.positions?.has('spec.source.branch')
        ? 'branch'
        : source.git !== undefined
          ? 'git'
          : 'repo';
    const summary = missingBranch
      ? `source repository ${gitDir} has no branch ${source.branch}`
      : notARepository
        ? `source repository ${gitDir} does not exist or is not a git repository`
        : `source repository ${gitDir} cannot be read: ${err.message}`;
    report(
      field,
      summary,
      source.git !== undefined && !path.isAbsolute(source.git)
        ? `${source.git} is relative to the state repo ${opts.settings.stateRepo}`
        : undefined,
    );
    return undefined;
  }
}

/**
 * The resources at the head of the state repo's branch, parsed and schema-checked but not cross-checked or
 * resolved: for readers that must work while the state as a whole is invalid (notifications, webhooks).
 */
export async function headResources(git: GitReader, stateRepo: string, branch: string): Promise<Resource[]> {
  const commit = await git.resolveBranch(stateRepo, branch);
  const read = await readCommitFiles({ git, dir: stateRepo, commit, call: (fn) => fn() });
  return parseStateFiles(read.files).resources.map((lr) => lr.resource);
}
