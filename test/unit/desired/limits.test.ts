// Hostile files stay cheap: size limits, nesting and token limits, capped diagnostics, and never a throw.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  FILE_DIAGNOSTICS_MAX,
  formatBytes,
  STATE_DOCUMENTS_MAX,
  STATE_FILE_MAX_BYTES,
  STATE_REPO_MAX_BYTES,
  YAML_DEPTH_MAX,
} from '../../../src/desired/limits.js';
import { loadDesiredFromFiles, loadWorktreeFiles } from '../../../src/desired/load.js';
import { parseStateFile } from '../../../src/desired/parse.js';
import type { GitReader } from '../../../src/drivers/git/types.js';

/** Deterministic junk: YAML's special characters, letters and line breaks, in `bytes` bytes. */
function junk(bytes: number, seed = 1): string {
  const alphabet = 'ab: -\n[]{},"\'#&*!|>%@`?\t 09\n---\n';
  let s = seed;
  let out = '';
  while (out.length < bytes) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out += alphabet[s % alphabet.length];
  }
  return out;
}

const resource = (i: number) => `apiVersion: hiy/v1
kind: Port
metadata:
  name: svc-${i}
spec:
  image: localhost/example/web:${i}
  env:
    GREETING: "hello ${i}"
    DATABASE_URL: postgres://app:app@db-${i}.internal:5432/app?sslmode=disable
    REDIS_URL: redis://cache-${i}.internal:6379/0
    FEATURE_FLAGS: "search,comments,uploads,previews"
    PUBLIC_URL: https://svc-${i}.example.com
    SMTP_HOST: mail.example.com
  volumes: [{ name: data, mountPath: /var/lib/app }]
  routes: [{ host: svc-${i}.example.com, port: 8080 }]
---
`;

describe('one file', () => {
  test('a megabyte of invalid documents gives a capped list of problems and a count of the rest', () => {
    const doc = 'apiVersion: hiy/v1\nkind: Port\nmetadata: { name: x }\nspec: { image: 1, bogus: 2 }\n---\n';
    const text = doc.repeat(Math.floor(1_000_000 / doc.length));
    const { diagnostics, resources } = parseStateFile({ path: 'junk.yaml', text });
    assert.equal(resources.length, 0);
    assert.equal(diagnostics.length, FILE_DIAGNOSTICS_MAX + 1);
    assert.match(
      diagnostics[FILE_DIAGNOSTICS_MAX]!.summary,
      /^… and \d+ more problem\(s\) in this file \(\d+ error\(s\)\); only the first 30 are listed$/,
    );
  });

  test('random junk of any size up to the limit never throws and never lists more than the cap', () => {
    for (const [i, size] of [100, 10_000, 1_000_000].entries()) {
      const { diagnostics } = parseStateFile({ path: 'junk.yaml', text: junk(size, i + 1) });
      assert.ok(diagnostics.length <= FILE_DIAGNOSTICS_MAX + 1, `${diagnostics.length}`);
    }
  });

  test('a file over the size limit gives the size-limit error, not a parse', () => {
    const text = `${'# padding\n'.repeat(STATE_FILE_MAX_BYTES / 10 + 1)}: [`;
    const { diagnostics } = parseStateFile({ path: 'big.yaml', text });
    assert.deepEqual(
      diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.summary}`),
      [
        'big.yaml:1:1 the file has 1,048,583 bytes (1 MiB); a state file may have at most 1,048,576 bytes (1 MiB)',
      ],
    );
  });

  test('deep nesting is refused before the parser sees it, where it happens', () => {
    for (const text of ['['.repeat(1_000_000), `a:\n  b: ${'{x: '.repeat(100)}`, '- '.repeat(500_000)]) {
      const { diagnostics } = parseStateFile({ path: 'deep.yaml', text });
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]!.summary, `YAML nested more than ${YAML_DEPTH_MAX} levels deep`);
    }
    const block = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
    const [d] = parseStateFile({ path: 'deep.yaml', text: block }).diagnostics;
    assert.equal(d!.summary, `YAML nested more than ${YAML_DEPTH_MAX} levels deep`);
    assert.ok(d!.line! > 10 && d!.line! < 100, `line ${d!.line}`);
  });

  test('a document of too many tokens is refused; duplicate keys by the hundred thousand do not crash', () => {
    for (const text of ['a: b: c\n'.repeat(125_000), 'a: 1\n'.repeat(200_000)]) {
      const { diagnostics } = parseStateFile({ path: 'many.yaml', text });
      assert.deepEqual(
        diagnostics.map((d) => d.summary),
        ['more than 100000 YAML tokens in one document'],
      );
    }
  });

  test('ordinary resources up to the file and document limits pass every limit', () => {
    let text = '';
    for (let i = 0; i < STATE_DOCUMENTS_MAX && text.length < STATE_FILE_MAX_BYTES - 1000; i++)
      text += resource(i);
    const { diagnostics, resources } = parseStateFile({ path: 'many.yaml', text });
    assert.deepEqual(diagnostics, []);
    assert.equal(
      resources.length,
      STATE_DOCUMENTS_MAX,
      'the document limit is reached before the file size limit',
    );
  });
});

describe('documents', () => {
  const user = (i: number) => `apiVersion: hiy/v1\nkind: User\nmetadata: { name: u${i} }\nspec: {}\n---\n`;
  const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => user(from + i)).join('');

  test('a file of more documents than a state repo may hold stops there, at that document', () => {
    const text = `---\n---\n${users(0, STATE_DOCUMENTS_MAX + 10)}`;
    const r = parseStateFile({ path: 'users.yaml', text });
    assert.equal(r.resources.length, STATE_DOCUMENTS_MAX);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.line} ${d.summary}`),
      [`${2 + 5 * STATE_DOCUMENTS_MAX} more than ${STATE_DOCUMENTS_MAX} documents in one file`],
    );
  });

  test('the documents of all files together are limited too, in path order', async () => {
    const half = STATE_DOCUMENTS_MAX / 2 + 1;
    const r = await loadDesiredFromFiles(
      [
        { path: 'c.yaml', text: users(2 * half, 1) },
        { path: 'b.yaml', text: users(half, half) },
        { path: 'a.yaml', text: users(0, half) },
      ],
      { settings: { stateRepo: '/state', branch: 'main', instance: 't' }, git: {} as GitReader },
    );
    assert.equal(r.state, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.file} ${d.summary}`),
      [
        `b.yaml the state repo has more than ${STATE_DOCUMENTS_MAX} documents (counted in path order up to this file); the 1 file(s) after it were not checked`,
      ],
    );
  });
});

describe('the working tree', () => {
  test('the repo limit stops reading, with one error naming where; an oversized file is not read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hiy-limits-'));
    try {
      const chunk = `# ${'x'.repeat(1000)}\n`.repeat(Math.floor((STATE_FILE_MAX_BYTES * 0.9) / 1003));
      const fit = Math.floor(STATE_REPO_MAX_BYTES / chunk.length);
      const n = fit + 2;
      for (let i = 0; i < n; i++) await writeFile(join(dir, `f${String(i).padStart(2, '0')}.yaml`), chunk);
      await writeFile(join(dir, 'a-big.yaml'), 'x'.repeat(STATE_FILE_MAX_BYTES + 1));
      const files = await loadWorktreeFiles(dir);
      assert.equal(files.length, fit);
      assert.deepEqual(
        files.diagnostics?.map((d) => `${d.file} ${d.summary}`),
        [
          'a-big.yaml the file has 1,048,577 bytes (1 MiB); a state file may have at most 1,048,576 bytes (1 MiB)',
          `f${String(fit).padStart(2, '0')}.yaml the state files take more than ${formatBytes(STATE_REPO_MAX_BYTES)}, the limit of a state repo; this file and the 1 after it were not read`,
        ],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
