// Diagnostics: problems found in a state repo, collected all at once rather than stopping at the first.
import { HiyError } from './errors.js';

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** One line: what is wrong. */
  summary: string;
  /** Optional longer explanation or hint. */
  detail?: string;
  /** Path of the file inside the state repo, e.g. `apps/blog.yaml`. */
  file?: string;
  /** 1-based line and column. */
  line?: number;
  column?: number;
  /** Field path inside the resource, e.g. `spec.routes[0].port`. */
  path?: string;
  /** Resource id when known, e.g. `port/greeter`. */
  resource?: string;
}

/** Formats a path array from zod (`['spec','routes',0,'port']`) as `spec.routes[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** `file:line:col: path: summary`, the form editors and compilers use. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}: ` : '';
  const path = d.path ? `${d.path}: ` : '';
  return `${d.severity}: ${where}${path}${d.summary}${d.detail ? `\n  ${d.detail}` : ''}`;
}

/** Thrown when a state repo has errors; carries every diagnostic. */
export class StateRepoInvalidError extends HiyError<{ errors: number }> {
  constructor(readonly diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    super('STATE_INVALID', `the state repo has ${errors} error(s)`, { data: { errors } });
    this.name = 'StateRepoInvalidError';
  }
}
