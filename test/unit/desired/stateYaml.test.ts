// The bounded entry point for state YAML: limits stop text before the parser, and nothing else in src parses YAML.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { resourcesIn, StateEditError, setEnv } from '../../../src/desired/edit.js';
import { STATE_FILE_MAX_BYTES } from '../../../src/desired/limits.js';
import { checkStateYaml, parseStateYaml, StateYamlLimitError } from '../../../src/desired/stateYaml.js';

const SRC = join(import.meta.dirname, '../../../src');

/** The modules allowed to call the yaml package's parsers, and why. */
const PARSERS: Record<string, string> = {
  'desired/parse.ts': 'validation: streams the lexer through YamlLimits itself',
  'desired/stateYaml.ts': 'the bounded entry point for every other reader of state files',
  'ports/toolkit.ts': "a port's own port.yaml while its image is built, not a state file",
};
const PARSER_NAMES = /\b(parse|parseDocument|parseAllDocuments|Parser|Composer|Lexer|parseCST)\b/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('state YAML is parsed within limits', () => {
  it('a megabyte of [ is refused at the 65th bracket, with file:line:column, in well under a second', () => {
    const text = `# blog\n${'['.repeat(STATE_FILE_MAX_BYTES - 7)}`;
    const started = performance.now();
    assert.throws(
      () => checkStateYaml(text, 'bomb.yaml'),
      (err: unknown) =>
        err instanceof StateYamlLimitError &&
        err.message ===
          'bomb.yaml:2:65: YAML nested more than 64 levels deep; the file was not parsed (hiy validate shows every problem)',
    );
    assert.ok(performance.now() - started < 1000);
  });

  it('refuses a file over the size limit unread, with its real byte count', () => {
    assert.throws(
      () => parseStateYaml('a'.repeat(STATE_FILE_MAX_BYTES + 1), 'big.yaml'),
      /big\.yaml:1:1: the file has 1 MiB/,
    );
  });

  it('parses ordinary text, keeping parse errors on the documents', () => {
    const docs = parseStateYaml('a: 1\n---\nb: [\n', 'x.yaml');
    assert.equal(docs.length, 2);
    assert.equal(docs[0]!.errors.length, 0);
    assert.ok(docs[1]!.errors.length > 0);
  });

  it('the edit functions go through it: EDIT_YAML_INVALID naming the file', () => {
    const bomb = `kind: App\nmetadata: { name: blog }\nspec: ${'['.repeat(100)}`;
    for (const run of [
      () => resourcesIn(bomb, 'apps/blog.yaml'),
      () => setEnv(bomb, { kind: 'App', name: 'blog' }, { A: '1' }, 'apps/blog.yaml'),
    ]) {
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof StateEditError);
        assert.equal(err.code, 'EDIT_YAML_INVALID');
        assert.match(err.message, /^apps\/blog\.yaml:3:\d+: YAML nested more than 64 levels deep/);
        return true;
      });
    }
  });

  it("no other module of src calls the yaml package's parsers", () => {
    const offenders = files(SRC)
      .map((f) => ({ path: relative(SRC, f), text: readFileSync(f, 'utf8') }))
      .filter(({ path }) => !(path in PARSERS))
      .flatMap(({ path, text }) =>
        [
          ...text.matchAll(
            /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'yaml'|import\s+(\w+)\s+from\s*'yaml'|import\(\s*'yaml'\s*\)|require\(\s*'yaml'\s*\)/g,
          ),
        ]
          .filter((m) => {
            if (m[2] || !m[1]) return true; // a default or dynamic import brings every parser
            return m[1]
              .split(',')
              .map((n) => n.trim())
              .some((n) => !n.startsWith('type ') && PARSER_NAMES.test(n.split(/\s+as\s+/)[0]!));
          })
          .map(() => path),
      );
    assert.deepEqual(offenders, [], 'parse state YAML with src/desired/stateYaml.ts (parseStateYaml)');
  });
});
