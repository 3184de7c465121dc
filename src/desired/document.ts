// One YAML document of a state file, checked: its resource (whole, or only what validated), positions, problems.

import { type Document, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import type * as z from 'zod';
import { type Diagnostic, formatPath } from '../model/diagnostics.js';
import { errorMessage } from '../model/errors.js';
import { type Kind, resourceId } from '../model/names.js';
import { API_VERSION, KIND_SCHEMAS, Metadata, type Resource } from '../model/resources.js';
import { editDistance, MAX_HINTED_FIELDS, objectKeysAt, readableMessage } from './issues.js';
import type { FieldPositions, LocatedResource, SourcePosition, StateFile } from './types.js';

const KINDS = Object.keys(KIND_SCHEMAS) as Kind[];

/** What one document gives: a valid resource, or one whose spec is invalid (for the cross-resource checks). */
export interface DocumentResult {
  resource?: LocatedResource;
  incomplete?: LocatedResource;
  /** An empty document (`---` alone, comments only): not counted against STATE_DOCUMENTS_MAX. */
  empty?: true;
}

/** One YAML document being checked: its positions, and the diagnostics found so far. */
export class DocumentContext {
  readonly diagnostics: Diagnostic[] = [];
  /**
   * Field path → offset in the file where its value starts (or its key, when the value is empty). Offsets, not
   * positions: a line and column is computed only when asked for (a diagnostic), not for each of the tens of
   * thousands of fields of a large state.
   */
  private readonly values = new Map<string, number>();
  /** Field path → offset in the file where its key starts (a position is computed only for a diagnostic). */
  private readonly keys = new Map<string, number>();
  private resource: string | undefined;
  private readonly start: SourcePosition;

  constructor(
    private readonly file: StateFile,
    private readonly doc: Document.Parsed,
    private readonly pos: (offset: number) => SourcePosition,
  ) {
    const contents = doc.contents as Node | null;
    const start = contents?.range?.[0] ?? doc.range[0];
    this.start = pos(start);
    if (contents) {
      this.values.set('', start);
      this.index(contents, '');
    }
  }

  /** True for a document with nothing in it (`---` alone, comments only). */
  isEmpty(): boolean {
    const contents = this.doc.contents as Node | null;
    return contents === null || (isScalar(contents) && contents.value === null);
  }

  validate(): DocumentResult {
    const { doc } = this;
    let syntaxBroken = false;
    for (const e of doc.errors) {
      syntaxBroken = true;
      this.report({ summary: `YAML syntax error: ${firstLine(e.message)}` }, this.pos(e.pos[0]));
    }
    for (const w of doc.warnings)
      this.report({ severity: 'warning', summary: firstLine(w.message) }, this.pos(w.pos[0]));
    // A document broken by syntax errors has unreliable content: validating it would only add noise.
    if (syntaxBroken) return {};
    const contents = doc.contents as Node | null;
    if (this.isEmpty()) return { empty: true };
    if (!isMap(contents)) {
      const got = isSeq(contents) ? 'a list' : 'a scalar';
      this.report({
        summary: `a resource must be a mapping, got ${got}`,
        detail: `start with apiVersion: ${API_VERSION}, kind, metadata and spec`,
      });
      return {};
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      this.report({ summary: `cannot read document: ${errorMessage(err)}` });
      return {};
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
        this.valuePosition('apiVersion'),
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
        this.valuePosition('kind'),
      );
    }
    if (!kind) return {};

    const result = KIND_SCHEMAS[kind].safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.path[0] === 'apiVersion' && obj.apiVersion !== API_VERSION) continue; // reported above
        this.reportIssue(issue, KIND_SCHEMAS[kind]);
      }
    }
    if (this.diagnostics.some((d) => d.severity === 'error') || !result.success)
      return { incomplete: this.incomplete(kind, obj) };
    return { resource: this.located(result.data as Resource) };
  }

  private located(resource: Resource): LocatedResource {
    return {
      resource,
      file: this.file.path,
      line: this.start.line,
      column: this.start.column,
      positions: new OffsetPositions(this.values, this.pos),
    };
  }

  /**
   * The resource of an invalid document, for the checks that need only its kind and name (duplicate names) or
   * one field (host ports, routes): its spec holds the fields that are valid on their own. Undefined when even
   * the metadata is invalid.
   */
  private incomplete(kind: Kind, obj: Record<string, unknown>): LocatedResource | undefined {
    const metadata = Metadata.safeParse(obj.metadata);
    if (!metadata.success) return undefined;
    const raw = obj.spec;
    const spec: Record<string, unknown> = {};
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const shape = (KIND_SCHEMAS[kind].shape.spec as z.ZodObject).shape;
      for (const [field, schema] of Object.entries(shape)) {
        const value = (raw as Record<string, unknown>)[field];
        if (value === undefined) continue;
        const r = (schema as z.ZodType).safeParse(value);
        if (r.success) spec[field] = r.data;
      }
    }
    // Not a whole Resource: only crossCheck reads it, field by field (LocatedResource.incomplete).
    const resource = { apiVersion: API_VERSION, kind, metadata: metadata.data, spec } as unknown as Resource;
    return { ...this.located(resource), incomplete: true };
  }

  /** Maps one zod issue to diagnostics placed at the YAML node it is about. */
  private reportIssue(issue: z.core.$ZodIssue, schema: z.ZodType): void {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, path);
      for (const key of issue.keys) {
        if (key === '__proto__') continue; // reported while indexing the document
        const full = formatPath([...path, key]);
        const close = allowed?.find((k) => editDistance(k, key) <= (key.length >= 4 ? 2 : 1));
        let detail: string | undefined;
        if (close) detail = `did you mean "${close}"?`;
        else if (allowed && allowed.length <= MAX_HINTED_FIELDS)
          detail = `allowed fields: ${allowed.join(', ')}`;
        this.report({ summary: `unknown field "${key}"`, detail, path: full }, this.keyPosition(full));
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
        this.keyPosition(full) ?? this.lookup(full),
      );
      return;
    }
    this.report({ summary: readableMessage(issue), path: full || undefined }, this.lookup(full));
  }

  /** Where a field's value was written, if it was. */
  private valuePosition(path: string): SourcePosition | undefined {
    const offset = this.values.get(path);
    return offset === undefined ? undefined : this.pos(offset);
  }

  /** Where a field's key was written, if it was. */
  private keyPosition(path: string): SourcePosition | undefined {
    const offset = this.keys.get(path);
    return offset === undefined ? undefined : this.pos(offset);
  }

  /** Position of a field, or of its nearest written ancestor (defaults have no position). */
  private lookup(path: string): SourcePosition {
    let p = path;
    for (;;) {
      const found = this.valuePosition(p);
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
  // The path is carried formatted (formatPath's form), not as an array formatted again at every key: this runs
  // for every node of every document (a tenth of the CPU of `hiy validate` of 1,000 Ports).
  private index(node: Node, path: string): void {
    if (isMap(node)) {
      // Duplicate keys are found here, in one pass: the YAML library's uniqueKeys check is quadratic.
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key) || !pair.key.range) continue;
        const key = String(pair.key.value);
        const f = path ? `${path}.${key}` : key;
        const keyAt = pair.key.range[0];
        if (key === '__proto__') {
          // zod skips this key of a record without a word, and a plain object cannot hold it: refused, never lost.
          this.report(
            {
              summary: '"__proto__" cannot be a key: JavaScript objects reserve it',
              detail: 'rename it (for a variable: its program must read it under another name)',
              path: f,
            },
            this.pos(keyAt),
          );
        }
        if (seen.has(key)) {
          this.report(
            { summary: `duplicate key "${key}"`, detail: 'each key may appear once in a mapping' },
            this.pos(keyAt),
          );
        }
        seen.add(key);
        this.keys.set(f, keyAt);
        const v = pair.value as Node | null;
        if (v?.range && !(isScalar(v) && v.value === null && v.range[0] === v.range[1])) {
          this.values.set(f, v.range[0]);
          if (!isAlias(v)) this.index(v, f);
        } else {
          this.values.set(f, keyAt);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const v = item as Node | null;
        if (!v?.range) return;
        const p = `${path}[${i}]`;
        this.values.set(p, v.range[0]);
        if (!isAlias(v)) this.index(v, p);
      });
    }
  }
}

/** The positions of a located resource: offsets in its file, made lines and columns when looked up. */
class OffsetPositions implements FieldPositions {
  constructor(
    private readonly offsets: ReadonlyMap<string, number>,
    private readonly pos: (offset: number) => SourcePosition,
  ) {}

  get(path: string): SourcePosition | undefined {
    const offset = this.offsets.get(path);
    return offset === undefined ? undefined : this.pos(offset);
  }

  has(path: string): boolean {
    return this.offsets.has(path);
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
