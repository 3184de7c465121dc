// Runs every unit test file (test/unit/**/*.test.ts, or the files given) in this one process, with node's test
// runner reporting as usual: `node --test` starts a process (and tsx) per file, most of the unit suite's time.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..', 'unit');
const given = process.argv.slice(2);
const files = given.length
  ? given.map((f) => resolve(f))
  : readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(root, f))
      .sort();
for (const file of files) await import(pathToFileURL(file).href);
