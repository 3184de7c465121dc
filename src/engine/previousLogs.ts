// `hiy logs NAME --previous`: the output kept of a resource's previous container (keepLogs.ts), read back.
import type { OutputSink } from '../drivers/podman/types.js';
import { LABEL_RESOURCE } from '../model/labels.js';
import type { PreviousLog } from '../store/previousLogs.js';
import type { Engine } from './context.js';
import { findWorkloadContainer, missingContainer, OperationError } from './resourceTarget.js';

export interface PreviousLogsOptions {
  tail?: number;
  timestamps?: boolean;
}

/**
 * Writes the kept output of the resource's previous container to `output`, each line to its stream. When none
 * is kept: RESOURCE_UNKNOWN for a name that is not a resource, NO_PREVIOUS for one never replaced since.
 */
export async function previousLogs(
  engine: Engine,
  name: string,
  opts: PreviousLogsOptions,
  output: OutputSink,
): Promise<PreviousLog> {
  const log = await readPreviousLog(engine, name);
  let lines = log.lines;
  if (opts.tail !== undefined) lines = opts.tail === 0 ? [] : lines.slice(-opts.tail);
  for (const l of lines) {
    const text = `${opts.timestamps && l.time ? `${l.time} ` : ''}${l.text}\n`;
    if (output === 'inherit') process[l.stream].write(text);
    else output[l.stream](text);
  }
  return { ...log, lines };
}

/** The kept output of a resource's previous container; OperationError when none is kept. */
export async function readPreviousLog(engine: Engine, name: string): Promise<PreviousLog> {
  const ids = name.includes('/') ? [name] : [`app/${name}`, `port/${name}`];
  for (const id of ids) {
    const log = await engine.stores.previousLogs.read(id);
    if (log) return log;
  }
  // Only on the way to an error: say why (no such resource, or never replaced since its container started).
  const current = await findWorkloadContainer(engine, name);
  let id = current?.labels[LABEL_RESOURCE] ?? name;
  if (!current) {
    const missing = await missingContainer(engine, name);
    if (missing.code === 'RESOURCE_UNKNOWN') throw missing;
    id = String(missing.data.resource ?? name);
  }
  const since = current
    ? `its container was created (${new Date(current.createdAt * 1000).toISOString()})`
    : 'HIY began keeping the output of removed containers';
  throw new OperationError(
    'NO_PREVIOUS',
    `no previous container of ${id} recorded: it has not been replaced since ${since}`,
    { resource: id },
  );
}
