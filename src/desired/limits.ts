// The limits that keep validating a state repo cheap whatever it holds (docs/design.md, "Limits of a state repo").

/** A state file larger than this is refused unread: a resource takes about a kilobyte. */
export const STATE_FILE_MAX_BYTES = 1024 * 1024;

/** All state files of a state repo together; beyond it the rest of the files are refused unread. */
export const STATE_REPO_MAX_BYTES = 2 * 1024 * 1024;

/**
 * YAML documents (resources, valid or not; empty ones not counted) in one file, and in all files together: HIY
 * manages one box, and its plan is measured for a thousand resources (bench plan-1000). At 2,000 a repo of
 * ordinary resources took 2.25 s to validate on the 2-core reference box, over the 2 s goal (bench validate-limits).
 */
export const STATE_DOCUMENTS_MAX = 1000;

/** Problems reported per file; the rest are counted in one "… and N more" line. */
export const FILE_DIAGNOSTICS_MAX = 30;

/**
 * How deep YAML may nest (flow brackets, block levels and the indicators on a line together; a resource needs
 * about a dozen). Deeper text is refused before the YAML parser sees it: the parser's time and memory grow
 * much faster than the text (a megabyte of `[` takes gigabytes).
 */
export const YAML_DEPTH_MAX = 64;

/**
 * YAML tokens per file, spaces and newlines not counted: the parser's memory follows the number of tokens more
 * than the number of bytes. A megabyte of ordinary resources has about 280,000.
 */
export const YAML_TOKENS_MAX = 400_000;

/** YAML tokens per document (one resource): the parser holds a whole document, so this bounds its memory. */
export const YAML_DOCUMENT_TOKENS_MAX = 100_000;

/**
 * A size as errors give it: the real byte count first, the rounded size after it (`1,048,577 bytes (1 MiB)`,
 * `300 bytes`), so that a file one byte over a limit never reads as the limit itself.
 */
export function formatBytes(n: number): string {
  const exact = `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} bytes`;
  if (n >= 1024 * 1024) return `${exact} (${Number((n / (1024 * 1024)).toFixed(1))} MiB)`;
  if (n >= 1024) return `${exact} (${Number((n / 1024).toFixed(1))} KiB)`;
  return exact;
}
