// YAML text of state repo files → validated resources, with every problem as a positioned diagnostic. Pure.
import { Composer, type Document, Lexer, LineCounter, Parser } from 'yaml';
import type { Diagnostic } from '../model/diagnostics.js';
import { DocumentContext } from './document.js';
import { FILE_DIAGNOSTICS_MAX, formatBytes, STATE_DOCUMENTS_MAX, STATE_FILE_MAX_BYTES } from './limits.js';
import type { LocatedResource, SourcePosition, StateFile } from './types.js';
import { LIMIT_SUMMARIES, YamlLimits } from './yamlLimits.js';

/** What the files of a state repo contain: the resources that validated, and every problem found. */
export interface ParseResult {
  resources: LocatedResource[];
  diagnostics: Diagnostic[];
  /**
   * Documents whose spec is invalid but whose kind and metadata are valid (LocatedResource.incomplete): they
   * still take part in the cross-resource checks. Absent when there are none.
   */
  incomplete?: LocatedResource[];
  /** Documents that are not empty, valid or not (STATE_DOCUMENTS_MAX); absent when there are none. */
  documents?: number;
}

/** Parses and validates every document of every file; never stops at the first problem. */
export function parseStateFiles(files: StateFile[]): ParseResult {
  return mergeResults(files.map((file) => parseStateFile(file)));
}

/** The results of several files as one (without spreading large arrays into one call). */
export function mergeResults(results: ParseResult[]): ParseResult {
  const out: ParseResult = {
    resources: results.flatMap((r) => r.resources),
    diagnostics: results.flatMap((r) => r.diagnostics),
  };
  const incomplete = results.flatMap((r) => r.incomplete ?? []);
  if (incomplete.length > 0) out.incomplete = incomplete;
  const documents = results.reduce((n, r) => n + (r.documents ?? 0), 0);
  if (documents > 0) out.documents = documents;
  return out;
}

/** The error of a state file over STATE_FILE_MAX_BYTES, which is neither read nor parsed. */
export function fileTooLarge(path: string, bytes: number): Diagnostic {
  return {
    severity: 'error',
    summary: `the file has ${formatBytes(bytes)}; a state file may have at most ${formatBytes(STATE_FILE_MAX_BYTES)}`,
    detail: 'it was not parsed; split it into several files',
    file: path,
    line: 1,
    column: 1,
  };
}

/**
 * Parses one file (possibly several `---` documents). Results depend only on path and text, so callers may cache
 * them. Bounded whatever the text: too large or too deeply nested text is refused before it is parsed, and at
 * most FILE_DIAGNOSTICS_MAX problems are listed (then one "… and N more").
 */
export function parseStateFile(file: StateFile): ParseResult {
  const bytes = Buffer.byteLength(file.text);
  if (bytes > STATE_FILE_MAX_BYTES) return { resources: [], diagnostics: [fileTooLarge(file.path, bytes)] };
  const out: ParseResult = { resources: [], diagnostics: [] };
  const lc = new LineCounter();
  const pos = (offset: number): SourcePosition => {
    const { line, col } = lc.linePos(offset);
    return { line, column: col };
  };
  const fail = (summary: string, offset = 0, detail?: string) => {
    const at = pos(offset);
    out.diagnostics.push({ severity: 'error', summary, file: file.path, line: at.line, column: at.column });
    if (detail) out.diagnostics[out.diagnostics.length - 1]!.detail = detail;
  };
  try {
    const incompletes: LocatedResource[] = [];
    let documents = 0;
    let tooMany: number | undefined;
    const check = (doc: Document.Parsed) => {
      if (tooMany !== undefined) return;
      const at = new DocumentContext(file, doc, pos);
      if (documents === STATE_DOCUMENTS_MAX && !at.isEmpty()) {
        tooMany = doc.range[0];
        return;
      }
      const { resource, incomplete, empty } = at.validate();
      if (!empty) documents++;
      for (const d of at.diagnostics) out.diagnostics.push(d);
      if (resource) out.resources.push(resource);
      // A file already past its problems' cap is not cross-checked further: its count says there is more.
      if (incomplete && out.diagnostics.length <= FILE_DIAGNOSTICS_MAX) incompletes.push(incomplete);
    };
    // One pass, one document at a time: each lexer token is checked against the limits before the parser gets
    // it, so text past a limit costs no more than the tokens up to it, and no file holds all its documents.
    const limits = new YamlLimits();
    const parser = new Parser(lc.addNewLine);
    const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
    lc.addNewLine(0);
    let passed: ReturnType<YamlLimits['take']>;
    for (const token of new Lexer().lex(file.text)) {
      passed = limits.take(token);
      if (passed || tooMany !== undefined) break;
      for (const cst of parser.next(token)) for (const doc of composer.next(cst)) check(doc);
    }
    if (passed) {
      fail(
        LIMIT_SUMMARIES[passed],
        limits.offset,
        'the rest of the file was not checked; split it into several files',
      );
    } else if (tooMany === undefined) {
      for (const cst of parser.end()) for (const doc of composer.next(cst)) check(doc);
      for (const doc of composer.end()) check(doc);
    }
    if (tooMany !== undefined)
      fail(
        `more than ${STATE_DOCUMENTS_MAX} documents in one file`,
        tooMany,
        'the rest of the file was not checked; a state repo may hold at most that many in all',
      );
    if (incompletes.length > 0) out.incomplete = incompletes;
    if (documents > 0) out.documents = documents;
  } catch (err) {
    // Whatever the text makes the parser do (a stack overflow, say), it is one problem of this file.
    fail(`cannot parse this file: ${(err as Error)?.message ?? String(err)}`);
  }
  out.diagnostics.sort((a, b) => a.line! - b.line! || a.column! - b.column!);
  out.diagnostics = capped(out.diagnostics);
  return out;
}

/** Diagnostics of several files, each file's capped like parseStateFile's (order kept within a file). */
export function cappedPerFile(diagnostics: Diagnostic[]): Diagnostic[] {
  const byFile = new Map<string | undefined, Diagnostic[]>();
  for (const d of diagnostics) {
    const list = byFile.get(d.file);
    if (list) list.push(d);
    else byFile.set(d.file, [d]);
  }
  return [...byFile.values()].flatMap((list) => capped(list));
}

/** The first FILE_DIAGNOSTICS_MAX diagnostics of a file, and one that counts the others. */
function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= FILE_DIAGNOSTICS_MAX) return diagnostics;
  const shown = diagnostics.slice(0, FILE_DIAGNOSTICS_MAX);
  const rest = diagnostics.slice(FILE_DIAGNOSTICS_MAX);
  const first = rest[0]!;
  const errors = rest.filter((d) => d.severity === 'error').length;
  shown.push({
    severity: errors > 0 ? 'error' : 'warning',
    summary: `… and ${rest.length} more problem(s) in this file (${errors} error(s)); only the first ${FILE_DIAGNOSTICS_MAX} are listed`,
    file: first.file,
    line: first.line,
    column: first.column,
  });
  return shown;
}
