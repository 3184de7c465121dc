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

export function diag(
  lr: LocatedResource,
  path: string,
  summary: string,
  detail?: string,
  severity: Diagnostic['severity'] = 'error',
): Diagnostic {
  const at = fieldPosition(lr, path);
  const d: Diagnostic = {
    severity,
    summary,
    file: lr.file,
    line: at.line,
    column: at.column,
    path,
    resource: idOf(lr),
  };
  if (detail) d.detail = detail;
  return d;
}

export function isWorkload(lr: LocatedResource): lr is LocatedResource & { resource: Workload } {
  return lr.resource.kind === 'App' || lr.resource.kind === 'Port';
}
