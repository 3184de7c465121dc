// Types of the desired state: what the state repo at one commit asks for.
import type { Diagnostic } from '../model/diagnostics.js';
import type { Resource, UserResource } from '../model/resources.js';
import type { DesiredWorkload } from '../model/workload.js';

/** A 1-based line and column in a state repo file. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Where the fields of a document were written, by field path (a ReadonlyMap of positions is one). */
export interface FieldPositions {
  get(path: string): SourcePosition | undefined;
  has(path: string): boolean;
}

/** A validated resource and where it was written. */
export interface LocatedResource {
  resource: Resource;
  /** Path inside the state repo. */
  file: string;
  /** 1-based line and column of the document's start. */
  line: number;
  column: number;
  /**
   * Where each field written in the document starts, keyed by field path as formatPath gives it
   * (`spec.routes[0].port`). Fields filled in by defaults are absent; look up their parent instead.
   */
  positions?: FieldPositions;
  /**
   * Set on the resources of ParseResult.incomplete only: the document is invalid, and `resource.spec` holds just
   * the fields that validated on their own (required ones may be missing). Never part of a DesiredState.
   */
  incomplete?: true;
}

/** A state repo file at a commit. */
export interface StateFile {
  path: string;
  text: string;
}

/** Everything the state repo asks for at one commit. */
export interface DesiredState {
  /** Path of the state repo. */
  repo: string;
  branch: string;
  /** Full commit id the state was read from, or `worktree` when read from the files on disk. */
  commit: string;
  resources: LocatedResource[];
  workloads: DesiredWorkload[];
  users: UserResource[];
}

/** The outcome of loading: a state when there are no errors, and every diagnostic found. */
export interface DesiredResult {
  state?: DesiredState;
  diagnostics: Diagnostic[];
}
