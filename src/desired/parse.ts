// YAML text of state repo files → validated resources, with every problem as a positioned diagnostic. Pure.
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from 'yaml';
import type * as z from 'zod';
import { type Diagnostic, formatPath } from '../model/diagnostics.js';
import { type Kind, resourceId } from '../model/names.js';
import { API_VERSION, KIND_SCHEMAS, type Resource } from '../model/resources.js';
import type { LocatedResource, SourcePosition, StateFile } from './types.js';

/** What the files of a state repo contain: the resources that validated, and every problem found. */
export interface ParseResult {
  resources: LocatedResource[];
  diagnostics: Diagnostic[];
}

const KINDS = Object.keys(KIND_SCHEMAS) as Kind[];
/** Unknown-field hints list the allowed fields only when there are at most this many. */
const MAX_HINTED_FIELDS = 20;

/** Parses and validates every document of every file; never stops at the first problem. */
export function parseStateFiles(files: StateFile[]): ParseResult {
  const out: ParseResult = { resources: [], diagnostics: [] };
  for (const file of files) {
    const one = parseStateFile(file);
    out.resources.push(...one.resources);
    out.diagnostics.push(...one.diagnostics);
  }
  return out;
}

/** Parses one file (possibly several `---` documents). Results depend only on path and text, so callers may cache them. */
export function parseStateFile(file: StateFile): ParseResult {
  const out: ParseResult = { resources: [], diagnostics: [] };
  const lc = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): SourcePosition => {
    const { line, col } = lc.linePos(offset);
    return { line, column: col };
  };
  for (const doc of docs) {
    const at = new DocumentContext(file, doc, pos);
    const parsed = at.validate();
    out.diagnostics.push(...at.diagnostics);
    if (parsed) out.resources.push(parsed);
  }
  out.diagnostics.sort((a, b) => a.line! - b.line! || a.column! - b.column!);
  return out;
}

/** One YAML document being checked: its positions, and the diagnostics found so far. */
class DocumentContext {
  readonly diagnostics: Diagnostic[] = [];
  /** Field path → where its value starts (or its key, when the value is empty). */
  readonly values = new Map<string, SourcePosition>();
  /** Field path → where its key starts. */
  readonly keys = new Map<string, SourcePosition>();
  private resource: string | undefined;
  private readonly start: SourcePosition;

  constructor(
    private readonly file: StateFile,
    private readonly doc: Document.Parsed,
    private readonly pos: (offset: number) => SourcePosition,
  ) {
    const contents = doc.contents as Node | null;
    this.start = pos(contents?.range?.[0] ?? doc.range[0]);
    if (contents) {
      this.values.set('', this.start);
      this.index(contents, []);
    }
  }

  validate(): LocatedResource | undefined {
    const { doc } = this;
    let syntaxBroken = false;
    for (const e of doc.errors) {
      const p = this.pos(e.pos[0]);
      if (e.code === 'DUPLICATE_KEY') {
        const key = /^[^:\n]*/.exec(this.file.text.slice(e.pos[0]))![0].trim();
        this.report(
          {
            summary: key ? `duplicate key "${key}"` : 'duplicate key',
            detail: 'each key may appear once in a mapping',
          },
          p,
        );
      } else {
        syntaxBroken = true;
        this.report({ summary: `YAML syntax error: ${firstLine(e.message)}` }, p);
      }
    }
    for (const w of doc.warnings)
      this.report({ severity: 'warning', summary: firstLine(w.message) }, this.pos(w.pos[0]));
    // A document broken by syntax errors has unreliable content: validating it would only add noise.
    if (syntaxBroken) return undefined;
    const contents = doc.contents as Node | null;
    if (contents === null || (isScalar(contents) && contents.value === null)) return undefined; // empty document
    if (!isMap(contents)) {
      const got = isSeq(contents) ? 'a list' : 'a scalar';
      this.report({
        summary: `a resource must be a mapping, got ${got}`,
        detail: `start with apiVersion: ${API_VERSION}, kind, metadata and spec`,
      });
      return undefined;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      this.report({ summary: `cannot read document: ${(err as Error).message}` });
      return undefined;
    }
    const obj = value as Record<string, unknown>;
    const name = (obj.metadata as Record<string, unknown> | null | undefined)?.name;
    const kind =
      typeof obj.kind === 'string' && (KINDS as string[]).includes(obj.kind) ? (obj.kind as Kind) : undefined;
    if (kind && typeof name === 'string') this.resource = resourceId(kind, name);

    if (obj.apiVersion === undefined) {
      this.report({
        summary: 'missing required field "apiVersion"',
        detail: `every resource starts with apiVersion: ${API_VERSION}`,
      });
    } else if (obj.apiVersion !== API_VERSION) {
      this.report(
        {
          summary: `unknown apiVersion ${JSON.stringify(obj.apiVersion)}`,
          detail: `expected apiVersion: ${API_VERSION}`,
          path: 'apiVersion',
        },
        this.values.get('apiVersion'),
      );
    }
    const kinds = `kinds are ${KINDS.slice().sort().join(', ')}`;
    if (obj.kind === undefined) {
      this.report({ summary: 'missing required field "kind"', detail: kinds });
    } else if (!kind) {
      const close =
        typeof obj.kind === 'string'
          ? KINDS.find((k) => k.toLowerCase() === String(obj.kind).toLowerCase())
          : undefined;
      this.report(
        {
          summary: `unknown kind ${JSON.stringify(obj.kind)}`,
          detail: close ? `did you mean "${close}"? ${kinds}` : kinds,
          path: 'kind',
        },
        this.values.get('kind'),
      );
    }
    if (!kind) return undefined;

    const result = KIND_SCHEMAS[kind].safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.path[0] === 'apiVersion' && obj.apiVersion !== API_VERSION) continue; // reported above
        this.reportIssue(issue, KIND_SCHEMAS[kind]);
      }
    }
    if (this.diagnostics.some((d) => d.severity === 'error') || !result.success) return undefined;
    return {
      resource: result.data as Resource,
      file: this.file.path,
      line: this.start.line,
      column: this.start.column,
      positions: this.values,
    };
  }

  /** Maps one zod issue to diagnostics placed at the YAML node it is about. */
  private reportIssue(issue: z.core.$ZodIssue, schema: z.ZodType): void {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, path);
      for (const key of issue.keys) {
        const full = formatPath([...path, key]);
        const close = allowed?.find((k) => editDistance(k, key) <= (key.length >= 4 ? 2 : 1));
        let detail: string | undefined;
        if (close) detail = `did you mean "${close}"?`;
        else if (allowed && allowed.length <= MAX_HINTED_FIELDS)
          detail = `allowed fields: ${allowed.join(', ')}`;
        this.report({ summary: `unknown field "${key}"`, detail, path: full }, this.keys.get(full));
      }
      return;
    }
    const full = formatPath(path);
    const last = path[path.length - 1];
    if (
      issue.code === 'invalid_type' &&
      path.length > 0 &&
      !this.keys.has(full) &&
      typeof last === 'string'
    ) {
      // zod reports a missing field as "expected string, received undefined": point at the mapping that lacks it.
      const parent = formatPath(path.slice(0, -1));
      this.report(
        { summary: `missing required field "${last}"`, path: parent || undefined },
        this.lookup(parent),
      );
      return;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues.map((i) => readableMessage(i)).join('; ');
      this.report(
        { summary: `invalid key "${String(last)}": ${inner}`, path: full },
        this.keys.get(full) ?? this.lookup(full),
      );
      return;
    }
    this.report({ summary: readableMessage(issue), path: full || undefined }, this.lookup(full));
  }

  /** Position of a field, or of its nearest written ancestor (defaults have no position). */
  private lookup(path: string): SourcePosition {
    let p = path;
    for (;;) {
      const found = this.values.get(p);
      if (found) return found;
      if (p === '') return this.start;
      p = parentPath(p);
    }
  }

  private report(
    d: Omit<Diagnostic, 'severity' | 'file'> & { severity?: Diagnostic['severity'] },
    at?: SourcePosition,
  ): void {
    const where = at ?? this.start;
    const diag: Diagnostic = {
      severity: d.severity ?? 'error',
      summary: d.summary,
      file: this.file.path,
      line: where.line,
      column: where.column,
    };
    if (d.detail) diag.detail = d.detail;
    if (d.path) diag.path = d.path;
    if (this.resource) diag.resource = this.resource;
    this.diagnostics.push(diag);
  }

  /** Records where every key and value of the document starts. Aliases are not followed. */
  private index(node: Node, path: PropertyKey[]): void {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || !pair.key.range) continue;
        const p = [...path, String(pair.key.value)];
        const f = formatPath(p);
        const keyPos = this.pos(pair.key.range[0]);
        this.keys.set(f, keyPos);
        const v = pair.value as Node | null;
        if (v?.range && !(isScalar(v) && v.value === null && v.range[0] === v.range[1])) {
          this.values.set(f, this.pos(v.range[0]));
          if (!isAlias(v)) this.index(v, p);
        } else {
          this.values.set(f, keyPos);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const v = item as Node | null;
        if (!v?.range) return;
        const p = [...path, i];
        this.values.set(formatPath(p), this.pos(v.range[0]));
        if (!isAlias(v)) this.index(v, p);
      });
    }
  }
}

/** `spec.routes[0].port` → `spec.routes[0]` → `spec.routes` → `spec` → ``. */
function parentPath(path: string): string {
  const m = /^(.*)(?:\[\d+\]|\.[^.[]*)$/.exec(path);
  return m ? m[1]! : '';
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** zod's messages, reworded to read well after a field path: `expected number, got string`, `must be at most 65535`. */
export function readableMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const m = /received (\w+)/.exec(issue.message);
      const expected = issue.expected === 'int' ? 'an integer' : issue.expected;
      return `expected ${expected}${m ? `, got ${m[1]}` : ''}`;
    }
    case 'too_big':
    case 'too_small': {
      const limit = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const most = issue.code === 'too_big' ? 'most' : 'least';
      const exclusive = !issue.inclusive;
      if (issue.origin === 'string') {
        if (issue.code === 'too_small' && Number(limit) === 1) return 'must not be empty';
        return `must have at ${most} ${limit} characters`;
      }
      if (issue.origin === 'array') {
        return `must have at ${most} ${limit} item${Number(limit) === 1 ? '' : 's'}`;
      }
      if (exclusive) return `must be ${issue.code === 'too_big' ? 'less' : 'greater'} than ${limit}`;
      return `must be at ${most} ${limit}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
    }
    case 'invalid_format':
      if (issue.format === 'ipv4') return 'must be an IPv4 address such as 127.0.0.1';
      return issue.message;
    case 'invalid_union': {
      const branches = issue.errors.map((errs) => errs.map((e) => readableMessage(e)).join('; '));
      return [...new Set(branches)].join(', or ');
    }
    default:
      return issue.message;
  }
}

/** The field names an object schema allows at a path, unwrapping optional/default/array; undefined if unknown. */
function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s: z.core.$ZodType | undefined = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && s; i++) {
      const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
      if (def.innerType) s = def.innerType;
      else if (def.type === 'pipe' && def.in) s = def.in;
      else break;
    }
  };
  for (const seg of path) {
    unwrap();
    if (!s) return undefined;
    const def = s._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
    };
    if (def.type === 'object' && typeof seg === 'string') s = def.shape?.[seg];
    else if (def.type === 'array' && typeof seg === 'number') s = def.element;
    else return undefined;
  }
  unwrap();
  const def = s?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** Levenshtein distance, for "did you mean" hints on short field names. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
