// The one bounded way to parse YAML text of the state repo outside validation: refused unparsed past its limits.
import { type Document, Lexer, parseAllDocuments } from 'yaml';
import { HiyError } from '../model/errors.js';
import { formatBytes, STATE_FILE_MAX_BYTES } from './limits.js';
import { LIMIT_SUMMARIES, YamlLimits } from './yamlLimits.js';

/** YAML text of a state file past a limit of `hiy validate` (size, depth, tokens): it was not parsed. */
export class StateYamlLimitError extends HiyError<{ file: string; line: number; column: number }> {
  constructor(data: { file: string; line: number; column: number }, summary: string) {
    super(
      'STATE_YAML_LIMIT',
      `${data.file}:${data.line}:${data.column}: ${summary}; the file was not parsed (hiy validate shows every problem)`,
      { data },
    );
    this.name = 'StateYamlLimitError';
  }
}

/**
 * Throws StateYamlLimitError when the text is over STATE_FILE_MAX_BYTES or passes a YamlLimits limit. Costs one
 * pass of the lexer (linear in the text), stopping at the first token past a limit; the parser is never run.
 */
export function checkStateYaml(text: string, file: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > STATE_FILE_MAX_BYTES) {
    throw new StateYamlLimitError(
      { file, line: 1, column: 1 },
      `the file has ${formatBytes(bytes)}; a state file may have at most ${formatBytes(STATE_FILE_MAX_BYTES)}`,
    );
  }
  const limits = new YamlLimits();
  for (const token of new Lexer().lex(text)) {
    const passed = limits.take(token);
    if (passed)
      throw new StateYamlLimitError({ file, ...position(text, limits.offset) }, LIMIT_SUMMARIES[passed]);
  }
}

/** Every document of a state file's text, once checkStateYaml passed; parse errors stay on the documents. */
export function parseStateYaml(text: string, file: string): Document.Parsed[] {
  checkStateYaml(text, file);
  return parseAllDocuments(text) as Document.Parsed[];
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}
