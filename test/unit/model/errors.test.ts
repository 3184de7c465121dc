// HiyError: the one base of HIY's errors (stable code, data, cause); no error class of src/ bypasses it.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HiyError, hasCode, isHiyError } from '../../../src/model/errors.js';

const SRC = new URL('../../../src/', import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('HiyError', () => {
  it('carries a code, data and the cause', () => {
    const cause = new Error('low level');
    const err = new HiyError('X_FAILED', 'x failed', { data: { what: 'x' }, cause });
    assert.equal(err.code, 'X_FAILED');
    assert.deepEqual(err.data, { what: 'x' });
    assert.equal(err.cause, cause);
    assert.ok(isHiyError(err) && hasCode(err, 'X_FAILED') && !hasCode(err, 'Y'));
    assert.deepEqual(new HiyError('Y', 'y').data, {});
    assert.equal('cause' in new HiyError('Y', 'y'), false);
  });

  it('is the base of every error class in src/', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/class (\w+) extends (Error|TypeError|RangeError)\b/g))
        if (!file.endsWith('model/errors.ts')) offenders.push(`${file.slice(SRC.length)}: ${m[1]}`);
    }
    assert.deepEqual(offenders, []);
  });
});
