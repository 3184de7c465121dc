// Build stages: labelled per App without the commit, their ids read from Buildah's output, old ones pruned.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  builtImageIds,
  pruneBuildStages,
  stageLabels,
  staleImages,
  withStageLabels,
} from '../../../src/apply/buildStages.js';
import { FakePodman } from '../../../src/drivers/podman/fake.js';

const LABELS = { 'hiy.instance': 'i1', 'hiy.resource': 'app/site', 'hiy.build-stage': 'true' };
const LINE = 'LABEL "hiy.instance"="i1" "hiy.resource"="app/site" "hiy.build-stage"="true"';

describe('stageLabels', () => {
  it('keeps every label of the image but the commit, and marks the stage', () => {
    assert.deepEqual(
      stageLabels({ 'hiy.instance': 'i1', 'hiy.resource': 'app/site', 'hiy.commit': 'abc' }),
      LABELS,
    );
  });
});

describe('withStageLabels', () => {
  it('ends every stage but the last with the LABEL line', () => {
    const text =
      'FROM a AS deps\nRUN x\n\nFROM deps AS build\nRUN make\nFROM b\nCOPY --from=build /out /out\n';
    assert.equal(
      withStageLabels(text, LABELS),
      `FROM a AS deps\nRUN x\n\n${LINE}\nFROM deps AS build\nRUN make\n${LINE}\nFROM b\nCOPY --from=build /out /out\n`,
    );
  });

  it('leaves a single stage as it is', () => {
    assert.equal(withStageLabels('FROM a\nRUN x\n', LABELS), 'FROM a\nRUN x\n');
  });

  it('does not take a FROM inside a continued instruction for a stage', () => {
    const text = 'FROM a\nRUN echo \\\n  # a comment\n  FROM x\nFROM b\n';
    assert.equal(
      withStageLabels(text, LABELS),
      `FROM a\nRUN echo \\\n  # a comment\n  FROM x\n${LINE}\nFROM b\n`,
    );
  });

  it('gives up where a line could not be placed safely', () => {
    assert.equal(withStageLabels('# escape=`\nFROM a\nFROM b\n', LABELS), undefined);
    assert.equal(withStageLabels('FROM a\nRUN <<EOF\nFROM x\nEOF\nFROM b\n', LABELS), undefined);
    assert.equal(withStageLabels('FROM a\nFROM b\n', { k: '$HOME' }), undefined);
  });
});

describe('builtImageIds', () => {
  it('reads the ids Buildah prints after each step, cached or new', () => {
    const lines = [
      'STEP 1/5: FROM localhost/hiy/go-build:1.19 AS build',
      'STEP 2/5: RUN go mod download',
      '--> Using cache d476689b38a72782d51e2f6fdcafc2bcc116ca8b51c3537d3f75aa14832313aa',
      '--> d476689b38a',
      'hello --> not an id',
      '\u001b[0m\u001b[0m--> 1bf3a1776bd',
      'COMMIT localhost/hiy/x:1',
    ];
    assert.deepEqual(builtImageIds(lines), [
      'd476689b38a72782d51e2f6fdcafc2bcc116ca8b51c3537d3f75aa14832313aa',
      'd476689b38a',
      '1bf3a1776bd',
    ]);
  });
});

describe('staleImages', () => {
  it('keeps what a short or full id names', () => {
    assert.deepEqual(staleImages(['aaaa1111', 'bbbb2222', 'cccc3333'], ['aaaa', 'cccc3333ffff']), [
      'bbbb2222',
    ]);
  });
});

describe('pruneBuildStages', () => {
  it("removes only the App's own dangling stages its last build did not use", async () => {
    const podman = new FakePodman();
    podman.danglingImages.set('old111', LABELS);
    podman.danglingImages.set('new222', LABELS);
    podman.danglingImages.set('other333', { ...LABELS, 'hiy.resource': 'app/other' });
    podman.danglingImages.set('foreign444', {});
    assert.deepEqual(await pruneBuildStages(podman, LABELS, ['new222']), ['old111']);
    assert.deepEqual([...podman.danglingImages.keys()], ['new222', 'other333', 'foreign444']);
  });

  it('removes nothing when the build printed no ids', async () => {
    const podman = new FakePodman();
    podman.danglingImages.set('old111', LABELS);
    assert.deepEqual(await pruneBuildStages(podman, LABELS, []), []);
    assert.equal(podman.danglingImages.size, 1);
  });
});
