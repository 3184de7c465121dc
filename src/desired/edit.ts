// Pure edits of state repo YAML (env of one resource), keeping comments, formatting and the other documents as written.

import { type Document, isMap, isScalar, stringify } from 'yaml';
import { HiyError } from '../model/errors.js';
import { ENV_NAME } from '../model/names.js';
import { parseStateYaml, StateYamlLimitError } from './stateYaml.js';

/** The resource an edit is for: its kind (`App`/`app`, `Port`/`port`) and metadata.name. */
export interface EditTarget {
  kind: string;
  name: string;
}

export type StateEditErrorCode =
  | 'EDIT_TARGET_NOT_FOUND'
  | 'EDIT_TARGET_AMBIGUOUS'
  | 'EDIT_YAML_INVALID'
  | 'CONFIG_KEY_INVALID'
  | 'CONFIG_KEY_SECRET'
  | 'CONFIG_KEY_NOT_SET';

/** An edit of the state repo that cannot be made as asked; nothing is written. */
export class StateEditError extends HiyError {
  declare readonly code: StateEditErrorCode;
  constructor(
    code: StateEditErrorCode,
    message: string,
    data: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, { data, ...options });
    this.name = 'StateEditError';
  }
}

/**
 * The documents of a file's text, parsed within the limits of `hiy validate` (stateYaml.ts): text past them is
 * an EDIT_YAML_INVALID error naming the file and line, never parsed.
 */
export function editableDocuments(text: string, file: string): Document.Parsed[] {
  try {
    return parseStateYaml(text, file);
  } catch (err) {
    if (err instanceof StateYamlLimitError)
      throw new StateEditError('EDIT_YAML_INVALID', err.message, { ...err.data }, { cause: err });
    throw err;
  }
}

/** `app/blog` for messages. */
export function targetId(target: EditTarget): string {
  return `${target.kind.toLowerCase()}/${target.name}`;
}

/**
 * Sets environment variables (`spec.env`) of one resource in one file's text. Refuses invalid names and names
 * that the resource takes from the secret store (`spec.secretEnv`: those are set with `hiy secret set`).
 * Only the edited document is re-serialized; every other byte of the file is kept.
 */
export function setEnv(
  text: string,
  target: EditTarget,
  vars: Record<string, string>,
  file = 'the file',
): string {
  const bad = Object.keys(vars).filter((k) => !ENV_NAME.test(k));
  if (bad.length > 0) {
    throw new StateEditError(
      'CONFIG_KEY_INVALID',
      `not environment variable names: ${bad.join(', ')} (letters, digits and _, not starting with a digit)`,
      { keys: bad },
    );
  }
  const spliced = spliceEnv(text, file, target, { set: vars });
  if (spliced !== undefined) return spliced;
  return editDocument(text, file, target, (doc) => {
    const secret = doc.getIn(['spec', 'secretEnv']);
    const secretKeys = isMap(secret) ? Object.keys(vars).filter((k) => secret.has(k)) : [];
    if (secretKeys.length > 0) {
      throw new StateEditError(
        'CONFIG_KEY_SECRET',
        `${secretKeys.join(', ')} of ${targetId(target)} ${secretKeys.length > 1 ? 'come' : 'comes'} from the secret store (spec.secretEnv); use hiy secret set to change a secret's value`,
        { keys: secretKeys, resource: targetId(target) },
      );
    }
    for (const [key, value] of Object.entries(vars)) doc.setIn(['spec', 'env', key], value);
  });
}

/** Removes environment variables from `spec.env` of one resource (and `env` itself when it becomes empty). */
export function unsetEnv(text: string, target: EditTarget, keys: string[], file = 'the file'): string {
  const spliced = spliceEnv(text, file, target, { unset: keys });
  if (spliced !== undefined) return spliced;
  return editDocument(text, file, target, (doc) => {
    const env = doc.getIn(['spec', 'env']);
    const missing = keys.filter((k) => !isMap(env) || !env.has(k));
    if (missing.length > 0) {
      throw new StateEditError(
        'CONFIG_KEY_NOT_SET',
        `${targetId(target)} has no ${missing.join(', ')} in spec.env`,
        { keys: missing, resource: targetId(target) },
      );
    }
    for (const key of keys) doc.deleteIn(['spec', 'env', key]);
    const after = doc.getIn(['spec', 'env']);
    if (isMap(after) && after.items.length === 0) doc.deleteIn(['spec', 'env']);
  });
}

/**
 * False when the text cannot hold a resource named `name`, without parsing it: a name is a DNS label (no
 * spaces), so a YAML scalar equal to it is written out literally unless escaped in a double-quoted string (a
 * backslash). Lets a lookup among a state repo's files parse only the few that may hold it.
 */
export function mayHoldName(text: string, name: string): boolean {
  return text.includes(name) || text.includes('\\');
}

/**
 * True when the text holds a document of the target resource (the file to edit among a state repo's). Text
 * past the parse limits is an error (EDIT_YAML_INVALID), not a file without the resource.
 */
export function holdsResource(text: string, target: EditTarget, file = 'the file'): boolean {
  if (!mayHoldName(text, target.name)) return false;
  const docs = editableDocuments(text, file);
  try {
    return findDocuments(docs, target).length > 0;
  } catch {
    return false;
  }
}

/** The kind and name of every document of a file's text (unparsable text holds none; text past the limits throws). */
export function resourcesIn(text: string, file = 'the file'): EditTarget[] {
  const docs = editableDocuments(text, file);
  try {
    return docs
      .map((doc) => ({ kind: doc.get('kind'), name: doc.getIn(['metadata', 'name']) }))
      .filter((r): r is EditTarget => typeof r.kind === 'string' && typeof r.name === 'string');
  } catch {
    return [];
  }
}

/** The one state file (by path) that defines the target; throws when none or several do. */
export function findResourceFile(files: ReadonlyMap<string, string>, target: EditTarget): string {
  const found = [...files].filter(([path, text]) => holdsResource(text, target, path)).map(([p]) => p);
  if (found.length === 0) {
    throw new StateEditError('EDIT_TARGET_NOT_FOUND', `no ${targetId(target)} in the state repo`, {
      resource: targetId(target),
    });
  }
  if (found.length > 1) {
    throw new StateEditError(
      'EDIT_TARGET_AMBIGUOUS',
      `${targetId(target)} is defined in ${found.length} files (${found.join(', ')})`,
      { resource: targetId(target), files: found },
    );
  }
  return found[0]!;
}

function findDocuments(docs: Document.Parsed[], target: EditTarget): number[] {
  const kind = target.kind.toLowerCase();
  const out: number[] = [];
  docs.forEach((doc, i) => {
    const k = doc.get('kind');
    const name = doc.getIn(['metadata', 'name']);
    if (typeof k === 'string' && k.toLowerCase() === kind && name === target.name) out.push(i);
  });
  return out;
}

/** One YAML scalar on one line (`debug`, `"1"`), or undefined when it needs more (a multi-line value). */
function inlineScalar(value: string): string | undefined {
  const out = stringify(value).replace(/\n$/, '');
  return out.includes('\n') ? undefined : out;
}

/**
 * The edit of an env block made on the text itself, so every other line stays byte for byte (comments, quoting,
 * flow collections such as `links: [port/postgres]`): a changed value replaces only the value, a new variable is
 * one more line under the last one, a removed one loses its line. Undefined when the edit needs the document
 * rewritten (no block `env` yet, a multi-line value, the last variable removed, a secret name, …): then the
 * document is re-serialized, which validates and refuses as before.
 */
function spliceEnv(
  text: string,
  file: string,
  target: EditTarget,
  edit: { set?: Record<string, string>; unset?: string[] },
): string | undefined {
  const docs = editableDocuments(text, file);
  const hits = findDocuments(docs, target);
  if (hits.length !== 1) return undefined;
  const doc = docs[hits[0]!]!;
  if (doc.errors.length > 0) return undefined;
  const secret = doc.getIn(['spec', 'secretEnv']);
  const env = doc.getIn(['spec', 'env'], true);
  if (!isMap(env) || env.flow || env.items.length === 0) return undefined;
  const pairs = env.items.flatMap((p) =>
    isScalar(p.key) && isScalar(p.value) && p.key.range && p.value.range
      ? [
          {
            key: String(p.key.value),
            keyAt: p.key.range[0],
            valueAt: p.value.range[0],
            valueEnd: p.value.range[1],
          },
        ]
      : [],
  );
  if (pairs.length !== env.items.length) return undefined;
  // A value over several lines (a block scalar) is left to the document's own serializer.
  if (pairs.some((p) => text.slice(p.valueAt, p.valueEnd).includes('\n'))) return undefined;
  const lineStart = (at: number) => text.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = (at: number) => {
    const nl = text.indexOf('\n', at);
    return nl < 0 ? text.length : nl + 1;
  };
  // Each key must start its own line, so that its line is the pair.
  if (pairs.some((p) => text.slice(lineStart(p.keyAt), p.keyAt).trim() !== '')) return undefined;
  const splices: { from: number; to: number; text: string }[] = [];
  if (edit.set) {
    if (isMap(secret) && Object.keys(edit.set).some((k) => secret.has(k))) return undefined;
    const last = pairs.at(-1)!;
    const indent = text.slice(lineStart(last.keyAt), last.keyAt);
    let added = '';
    for (const [key, value] of Object.entries(edit.set)) {
      const scalar = inlineScalar(value);
      const keyText = inlineScalar(key);
      if (scalar === undefined || keyText !== key) return undefined;
      const pair = pairs.find((p) => p.key === key);
      if (pair) splices.push({ from: pair.valueAt, to: pair.valueEnd, text: scalar });
      else added += `${indent}${key}: ${scalar}\n`;
    }
    if (added) {
      const at = lineEnd(last.valueEnd);
      splices.push({
        from: at,
        to: at,
        text: at === text.length && !text.endsWith('\n') ? `\n${added}` : added,
      });
    }
  } else {
    const keys = edit.unset ?? [];
    if (keys.some((k) => !pairs.some((p) => p.key === k)) || keys.length >= pairs.length) return undefined;
    for (const p of pairs.filter((x) => keys.includes(x.key)))
      splices.push({ from: lineStart(p.keyAt), to: lineEnd(p.valueEnd), text: '' });
  }
  let out = text;
  for (const sp of splices.sort((a, b) => b.from - a.from))
    out = out.slice(0, sp.from) + sp.text + out.slice(sp.to);
  return out;
}

/** Applies `change` to the target's document and splices its new text in place of the old one. */
function editDocument(
  text: string,
  file: string,
  target: EditTarget,
  change: (doc: Document) => void,
): string {
  const docs = editableDocuments(text, file);
  const hits = findDocuments(docs, target);
  if (hits.length === 0) {
    throw new StateEditError('EDIT_TARGET_NOT_FOUND', `no ${targetId(target)} in this file`, {
      resource: targetId(target),
    });
  }
  if (hits.length > 1) {
    throw new StateEditError('EDIT_TARGET_AMBIGUOUS', `${targetId(target)} is defined twice in this file`, {
      resource: targetId(target),
    });
  }
  const i = hits[0]!;
  const doc = docs[i]!;
  if (doc.errors.length > 0) {
    throw new StateEditError(
      'EDIT_YAML_INVALID',
      `the YAML of ${targetId(target)} has errors: ${doc.errors[0]!.message.split('\n')[0]}`,
      { resource: targetId(target) },
    );
  }
  const spec = doc.get('spec');
  if (!isMap(spec)) {
    throw new StateEditError('EDIT_YAML_INVALID', `${targetId(target)} has no spec mapping to edit`, {
      resource: targetId(target),
    });
  }
  change(doc);
  // The document's own span: the first one owns the file's leading comments (its commentBefore).
  const start = i === 0 ? 0 : doc.range[0];
  const end = doc.range[2];
  // `[a]` stays `[a]`, not `[ a ]`.
  let replacement = doc.toString({ flowCollectionPadding: false });
  // toString ends with one newline; keep whatever followed the document in the original (e.g. no final newline).
  if (end >= text.length && !text.endsWith('\n')) replacement = replacement.replace(/\n$/, '');
  return text.slice(0, start) + replacement + text.slice(end);
}
