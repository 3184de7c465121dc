// Located resources: where a field was written, and diagnostics placed there. Pure.
import type { Diagnostic } from '../model/diagnostics.js';
import { resourceId } from '../model/names.js';
import type { Workload } from '../model/resources.js';
import type { LocatedResource, SourcePosition } from './types.js';

/** Where a field of a located resource was written; falls back to the nearest written ancestor, then the document. */
export function fieldPosition(lr: LocatedResource, path: string): SourcePosition {
  let p = path;
  for (;;) {
    const found = lr.positions?.get(p);
    if (found) return found;
    if (p === '') return { line: lr.line, column: lr.column };
    const m = /^(.*)(?:\[\d+\]|\.[^.[]*)$/.exec(p);
    p = m ? m[1]! : '';
  }
}

/** `apps/blog.yaml:12`, used to name the other side of a conflict. */
export function where(lr: LocatedResource, path = ''): string {
  return `${lr.file}:${fieldPosition(lr, path).line}`;
}

export function idOf(lr: LocatedResource): string {
  return resourceId(lr.resource.kind, lr.resource.metadata.name);
}

/** What a diagnostic says, apart from where: diagnosticAt places it. */
export interface DiagnosticText {
  summary: string;
  detail?: string;
  /** Default `error`. */
  severity?: Diagnostic['severity'];
  /** Default: the located resource's id. */
  resource?: string;
}

/**
 * THE way to place a diagnostic on a field of a located resource: its file, line and column (those of the
 * nearest written ancestor when the field is not written), the field path and the resource id. Without a
 * located resource (a pinned release's workload) it carries the path and resource only.
 */
export function diagnosticAt(
  lr: LocatedResource | undefined,
  path: string,
  text: DiagnosticText,
): Diagnostic {
  const at = lr && fieldPosition(lr, path);
  const resource = text.resource ?? (lr && idOf(lr));
  return {
    severity: text.severity ?? 'error',
    summary: text.summary,
    ...(lr && at && { file: lr.file, line: at.line, column: at.column }),
    path,
    ...(resource && { resource }),
    ...(text.detail && { detail: text.detail }),
  };
}

/** A diagnostic at a field of a located resource (diagnosticAt, positional). */
export function diag(
  lr: LocatedResource,
  path: string,
  summary: string,
  detail?: string,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  return diagnosticAt(lr, path, { summary, severity, ...(detail && { detail }) });
}

export function isWorkload(lr: LocatedResource): lr is LocatedResource & { resource: Workload } {
  return lr.resource.kind === 'App' || lr.resource.kind === 'Port';
}
