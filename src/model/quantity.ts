// Parsing of the human quantities users write in specs: durations ("2s", "1m30s") and memory sizes ("256Mi").

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
/** A duration as users write it: one or more number+unit parts (ms, s, m, h), e.g. `500ms`, `2s`, `1m30s`. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a duration string (already checked against DURATION_PATTERN) to milliseconds. */
export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) throw new RangeError(`not a duration: ${text}`);
  let total = 0;
  for (const m of text.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** A memory size: bytes, or a number with a Kubernetes-style suffix (Ki, Mi, Gi, K, M, G). */
export const MEMORY_PATTERN = /^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|K|M|G|T)?$/;

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Converts a memory size string (checked against MEMORY_PATTERN) to bytes. */
export function parseMemory(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(text);
  if (!m || !MEMORY_PATTERN.test(text)) throw new RangeError(`not a memory size: ${text}`);
  return Math.round(Number(m[1]) * UNIT_BYTES[m[2]!]!);
}
