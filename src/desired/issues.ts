// zod's issues in words that read well after a field path, and the hints of unknown-field diagnostics. Pure.
import type * as z from 'zod';

/** Unknown-field hints list the allowed fields only when there are at most this many. */
export const MAX_HINTED_FIELDS = 20;

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
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
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
export function editDistance(a: string, b: string): number {
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
