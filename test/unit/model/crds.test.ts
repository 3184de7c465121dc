// crds/ must match what the zod schemas generate.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderCrds, staleCrds } from '../../../scripts/gen-crds.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('crds/ is up to date with src/model', async () => {
  const stale = await staleCrds(path.join(root, 'crds'));
  assert.deepEqual(stale, [], `stale generated files: ${stale.join(', ')}; run \`npm run crds\``);
});

test('one schema per kind, with id, title and trailing newline', () => {
  const files = renderCrds();
  assert.deepEqual(
    [...files.keys()],
    ['app.schema.json', 'backup.schema.json', 'notifier.schema.json', 'port.schema.json', 'user.schema.json'],
  );
  for (const text of files.values()) {
    assert.ok(text.endsWith('}\n'));
    const schema = JSON.parse(text);
    assert.match(schema.$id, /^urn:hiy:v1:/);
    assert.ok(schema.title && schema.description);
    assert.equal(schema.additionalProperties, false);
  }
});
