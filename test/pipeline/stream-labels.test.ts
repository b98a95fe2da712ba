import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StreamLabels } from '../../src/pipeline/stages/util.js';
import type { LabelSet } from '../../src/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until `done()` or 50 rounds; finalizers run in tasks after a collection. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("StreamLabels (the cri and docker stages' stream label sets)", () => {
  it('a label set leaves the index once its tailers are gone: pods that come and go leave it at its baseline', async () => {
    const labels = new StreamLabels();
    const kept: LabelSet = { job: 'pods', filename: '/var/log/pods/kept/c/0.log' };
    labels.slot(kept, 'stdout');
    const baseline = labels.size;
    // 1,000 pods come and go, each file's tailer handing its own label object to the stage.
    (() => {
      for (let i = 0; i < 1000; i++) {
        const input: LabelSet = { job: 'pods', filename: `/var/log/pods/p${i}/c/0.log` };
        assert.equal(labels.slot(input, 'stdout').labels.stream, 'stdout');
        labels.slot(input, 'stderr');
      }
    })();
    labels.slot(kept, 'stdout'); // the last input looked up is held; make it the kept one
    assert.equal(labels.size, baseline + 1000);
    await collectUntil(() => labels.size === baseline);
    assert.equal(labels.size, baseline);
    // The label set still in use keeps its slot (and its state) throughout.
    assert.equal(labels.slot(kept, 'stdout'), labels.slot({ ...kept }, 'stdout'));
  });

  it('two label objects of the same content share a slot, until the last of them is gone', async () => {
    const labels = new StreamLabels();
    const a: LabelSet = { job: 'x', filename: '/a' };
    let b: LabelSet | undefined = { job: 'x', filename: '/a' };
    const slot = labels.slot(b, 'stdout');
    slot.lastTimestamp = 42n;
    assert.equal(labels.slot(a, 'stdout'), slot);
    b = undefined;
    await collectUntil(() => false);
    assert.equal(labels.size, 1);
    assert.equal(labels.slot({ job: 'x', filename: '/a' }, 'stdout').lastTimestamp, 42n);
  });
});
