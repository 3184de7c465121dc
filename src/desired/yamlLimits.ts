// A watch over the YAML lexer's tokens as they are parsed: stops text that nests too deep or has too many tokens.
import { CST } from 'yaml';
import { YAML_DEPTH_MAX, YAML_DOCUMENT_TOKENS_MAX, YAML_TOKENS_MAX } from './limits.js';

/** What passing each limit means, in the words of an error. */
export const LIMIT_SUMMARIES: Record<'depth' | 'tokens' | 'document-tokens', string> = {
  depth: `YAML nested more than ${YAML_DEPTH_MAX} levels deep`,
  tokens: `more than ${YAML_TOKENS_MAX} YAML tokens in one file`,
  'document-tokens': `more than ${YAML_DOCUMENT_TOKENS_MAX} YAML tokens in one document`,
};

// The members of yaml's `CST` namespace, read once: bundled, each read of `CST.x` is a getter call, and take()
// runs for every token of every state file (a quarter of a million for 1,000 Ports).
const { DOCUMENT, FLOW_END, SCALAR, tokenType } = CST;

/** Block indicators: each opens a level nested in the line's own (`- - x`, `? ? x`, `a: b: c`). */
const BLOCK_INDICATORS = new Set(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);

/**
 * Follows the lexer's tokens (fed one by one, before the parser gets them) and says when the text goes past a
 * limit: YAML_DEPTH_MAX levels of nesting, or more tokens other than spaces and newlines than YAML_TOKENS_MAX in
 * the file or YAML_DOCUMENT_TOKENS_MAX in one document (the parser holds a whole document at once). Depth counts
 * open flow brackets, the block levels open at a line's indentation and the block indicators before a token on
 * its line: an estimate (about twice the real depth of ordinary YAML), enough to stop what would make the
 * parser's time or memory explode (a megabyte of `[` takes it gigabytes). Constant work per token.
 */
export class YamlLimits {
  /** Offset in the text of the token last fed. */
  offset = 0;
  private next = 0;
  private tokens = 0;
  private documentTokens = 0;
  private readonly levels: number[] = []; // columns of the open block levels, increasing
  private flow = 0;
  private lineStart = 0;
  private atLineStart = true;
  private afterScalarMarker = false;

  constructor(
    private readonly maxDepth = YAML_DEPTH_MAX,
    private readonly maxTokens = YAML_TOKENS_MAX,
    private readonly maxDocumentTokens = YAML_DOCUMENT_TOKENS_MAX,
  ) {}

  /** Takes the next token; returns which limit it passes, if any. */
  take(token: string): 'depth' | 'tokens' | 'document-tokens' | undefined {
    if (token === DOCUMENT || token === FLOW_END || token === SCALAR) {
      // The lexer's markers stand for no text; the token after a scalar marker is a scalar, whatever it reads.
      if (token === FLOW_END) this.flow = 0;
      this.afterScalarMarker = token === SCALAR;
      return undefined;
    }
    const type = this.afterScalarMarker ? 'scalar' : tokenType(token);
    this.afterScalarMarker = false;
    this.offset = this.next;
    this.next += token.length;
    const column = this.offset - this.lineStart;
    const newline = token.lastIndexOf('\n');
    if (newline >= 0) this.lineStart = this.offset + newline + 1;
    if (type === 'newline' || type === 'space' || type === 'comment') {
      if (type === 'newline') this.atLineStart = true;
      return undefined;
    }
    if (++this.tokens > this.maxTokens) return 'tokens';
    if (++this.documentTokens > this.maxDocumentTokens) return 'document-tokens';
    if (type === 'doc-start' || type === 'doc-end') {
      this.documentTokens = 0;
      this.levels.length = 0;
      this.flow = 0;
    } else if (type === 'flow-map-start' || type === 'flow-seq-start') this.flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') this.flow = Math.max(0, this.flow - 1);
    else if (this.flow === 0) {
      if (this.atLineStart) {
        const { levels } = this;
        while (levels.length > 0 && levels[levels.length - 1]! >= column) levels.pop();
        levels.push(column);
      }
      if (type && BLOCK_INDICATORS.has(type)) this.levels.push(column + 1);
    }
    // A token that ends a line (a block scalar does) leaves the next one at the start of a line.
    this.atLineStart = newline >= 0 && /^[ \t]*$/.test(token.slice(newline + 1));
    return this.levels.length + this.flow > this.maxDepth ? 'depth' : undefined;
  }
}
