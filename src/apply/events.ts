// Events the apply engine emits; the CLI, logs and (later) the API subscribe. The engine itself never prints.
import type { Action } from '../plan/types.js';
import type { SnapshotManifest } from '../snapshots/snapshot.js';

export type ApplyEvent =
  | { type: 'phase'; name: string; actions: number }
  | { type: 'action.started'; action: Action }
  | { type: 'action.progress'; action: Action; message: string }
  | { type: 'action.output'; action: Action; line: string }
  /** A build's step began or ended, or a build failed: one line for people (`stage` lines head a step). */
  | { type: 'build.step'; action: Action; level: 'stage' | 'line' | 'fail'; text: string }
  | { type: 'action.finished'; action: Action; ms: number; note?: string }
  | { type: 'action.failed'; action: Action; ms: number; error: string }
  | { type: 'caddy.loaded'; routes: number; ms: number }
  | { type: 'snapshot.taken'; action: Action; manifest: SnapshotManifest };

export type ApplyListener = (event: ApplyEvent) => void;
