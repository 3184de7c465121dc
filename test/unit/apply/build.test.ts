// HIY's image labels as one LABEL instruction appended to the Containerfile (one build step, not one per label).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withLabelInstruction } from '../../../src/apply/build.js';

const LABELS = { 'hiy.commit': 'abc123', 'hiy.resource': 'app/site' };

describe('withLabelInstruction', () => {
  it('appends one LABEL line that applies to the final stage', () => {
    const text = 'FROM a AS build\nRUN make\nFROM b\nCOPY --from=build /out /out\n';
    assert.equal(
      withLabelInstruction(text, LABELS),
      `${text}LABEL "hiy.commit"="abc123" "hiy.resource"="app/site"\n`,
    );
  });

  it('adds the missing final line break first', () => {
    assert.equal(withLabelInstruction('FROM a', { k: 'v' }), 'FROM a\nLABEL "k"="v"\n');
  });

  it('leaves files it cannot extend safely to --label', () => {
    assert.equal(withLabelInstruction('FROM a\nRUN echo \\\n', LABELS), undefined);
    assert.equal(withLabelInstruction('FROM a\nRUN echo \\\n\n\n', LABELS), undefined);
    assert.equal(withLabelInstruction('# escape=`\nFROM a\n', LABELS), undefined);
    assert.equal(withLabelInstruction('FROM a\n', { k: 'has $HOME' }), undefined);
    assert.equal(withLabelInstruction('FROM a\n', { k: 'back\\slash' }), undefined);
  });

  it('changes nothing without labels', () => {
    assert.equal(withLabelInstruction('FROM a\n', {}), 'FROM a\n');
  });
});
