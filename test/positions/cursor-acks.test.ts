import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { InFlightBudget } from '../../src/positions/acks.js';
import { CursorAcks } from '../../src/positions/cursor-acks.js';
import { PositionStore } from '../../src/positions/store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-cursor-acks-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('CursorAcks', () => {
  it('saves the cursor of the newest entry released with every entry before it, whatever the release order', async () => {
    const file = path.join(root, 'p.yaml');
    const store = new PositionStore({ filename: file });
    const budget = new InFlightBudget(1000);
    const acks = new CursorAcks(store, 'cursor-job', budget, 'c0');
    const d = ['c1', 'c2', 'c3', 'c4', 'c5'].map((c) => acks.track(c, 10));
    assert.equal(budget.bytes, 50);
    assert.equal(store.getString('cursor-job'), undefined);
    const steps: [number, string | undefined][] = [
      [2, undefined],
      [4, undefined],
      [0, 'c1'],
      [1, 'c3'], // c1..c3 released
      [3, 'c5'],
    ];
    for (const [i, want] of steps) {
      d[i]!.release();
      assert.equal(store.getString('cursor-job'), want, `after releasing ${i}`);
    }
    assert.equal(budget.bytes, 0);
    assert.equal(acks.pending, 0);
    await store.stop();
    assert.match(fs.readFileSync(file, 'utf8'), /cursor-job"?: "c5"/);
  });

  it('lets skipped entries pass once earlier ones are released; retain() needs one release per holder', () => {
    const store = new PositionStore({ filename: path.join(root, 'q.yaml'), readOnly: true });
    const acks = new CursorAcks(store, 'k', new InFlightBudget(1000));
    acks.skip('s0');
    assert.equal(store.getString('k'), 's0');
    const a = acks.track('a', 1);
    acks.skip('s1');
    assert.equal(store.getString('k'), 's0');
    a.retain();
    a.release();
    assert.equal(store.getString('k'), 's0');
    a.release();
    assert.equal(store.getString('k'), 's1');
    a.release(); // a holder's extra release changes nothing
    assert.equal(acks.pending, 0);
  });

  it('grows its ring past the initial size without losing order', () => {
    const store = new PositionStore({ filename: path.join(root, 'r.yaml'), readOnly: true });
    const acks = new CursorAcks(store, 'k', new InFlightBudget(1 << 20));
    const d = Array.from({ length: 300 }, (_, i) => acks.track(`c${i}`, 1));
    for (let i = 299; i >= 1; i--) d[i]!.release();
    assert.equal(store.getString('k'), undefined);
    d[0]!.release();
    assert.equal(store.getString('k'), 'c299');
  });
});
