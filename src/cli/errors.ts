// Turns any error into what the user reads: diagnostics listed one per line, other errors as one line with their code.
import { formatDiagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import { HiyError } from '../model/errors.js';
import type { CliIO } from './context.js';

/** The one-line form of a message: its lines joined, so that no error ever spans several lines or a stack. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** What `--json` prints for an error: its stable code, its message, and (for a HiyError) its data. */
export function errorJson(err: unknown): { code: string; message: string; data?: object } {
  if (err instanceof HiyError) {
    const out: { code: string; message: string; data?: object } = { code: err.code, message: err.message };
    if (Object.keys(err.data).length > 0) out.data = err.data;
    return out;
  }
  const e = err as { code?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

export function reportError(io: CliIO, err: unknown, json: boolean): void {
  if (err instanceof StateRepoInvalidError) {
    if (json) {
      io.out(`${JSON.stringify({ valid: false, diagnostics: err.diagnostics }, null, 2)}\n`);
      return;
    }
    for (const d of err.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    io.err(`\n${err.message}; nothing was applied.\n`);
    return;
  }
  const e = errorJson(err);
  if (json) {
    io.out(`${JSON.stringify({ error: e }, null, 2)}\n`);
    return;
  }
  io.err(`error: ${oneLine(e.message)}\n`);
}
