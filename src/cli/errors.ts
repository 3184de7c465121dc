// Turns any error into what the user reads: diagnostics listed one per line, other errors with their code.
import { formatDiagnostic, StateRepoInvalidError } from '../model/diagnostics.js';
import type { CliIO } from './context.js';

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
  const e = err as { code?: string; message?: string };
  if (json) {
    io.out(
      `${JSON.stringify({ error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } }, null, 2)}\n`,
    );
    return;
  }
  io.err(`error: ${e.message ?? String(err)}\n`);
}
