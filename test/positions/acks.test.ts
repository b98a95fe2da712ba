import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { FileAcks, InFlightBudget, type LineDelivery } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-acks-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const newStore = () => new PositionStore({ filename: path.join(root, `${n++}.yaml`) });

/** Hands out lines of the given lengths back to back from `from`. */
function handOut(acks: FileAcks, lengths: number[], from = 0): LineDelivery[] {
  let off = from;
  return lengths.map((len) => {
    const d = acks.track(off, off + len);
    off += len;
    return d;
  });
}

describe('FileAcks', () => {
  it('never passes an unreleased entry, whatever the release order', () => {
    const store = newStore();
    const budget = new InFlightBudget(1000);
    const acks = new FileAcks(store, '/f.log', budget, 0);
    const d = handOut(acks, [10, 20, 30, 40, 50]); // ends: 10 30 60 100 150
    assert.equal(store.get('/f.log'), 0);
    assert.equal(budget.bytes, 150);
    const steps: [number, number][] = [
      // [entry released, expected position]
      [2, 0],
      [4, 0],
      [1, 0],
      [0, 60], // 0,1,2 done: oldest pending is 3, starting at 60
      [3, 150], // all done: end of the last entry
    ];
    for (const [i, want] of steps) {
      d[i]!.release();
      assert.equal(store.get('/f.log'), want, `after releasing ${i}`);
      assert.equal(acks.offset, want);
    }
    assert.equal(budget.bytes, 0);
    assert.equal(acks.pending, 0);
  });

  it('waits for every holder of a retained entry', () => {
    const store = newStore();
    const acks = new FileAcks(store, '/f.log', new InFlightBudget(), 100);
    const [a, b] = handOut(acks, [5, 5], 100);
    a!.retain(2); // three clients
    a!.release();
    b!.release();
    a!.release();
    assert.equal(store.get('/f.log'), 100);
    a!.release();
    assert.equal(store.get('/f.log'), 110);
    a!.release(); // a holder's extra release moves nothing
    assert.equal(store.get('/f.log'), 110);
    assert.throws(() => a!.retain());
  });

  it('keeps order through many entries and ring growth (random releases)', () => {
    const store = newStore();
    const budget = new InFlightBudget(1 << 30);
    const acks = new FileAcks(store, '/f.log', budget, 0);
    const d = handOut(
      acks,
      Array.from({ length: 5000 }, (_, i) => 1 + (i % 7)),
    );
    // A fixed shuffle (Park-Miller), so a failure can be replayed.
    let seed = 7;
    const order = d.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 16807) % 2147483647;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const released = new Set<number>();
    for (const i of order) {
      d[i]!.release();
      released.add(i);
      let oldest = 0;
      while (released.has(oldest)) oldest++;
      const want = oldest === d.length ? d.at(-1)!.end : d[oldest]!.start;
      assert.equal(store.get('/f.log'), want);
    }
    assert.equal(budget.bytes, 0);
  });

  it('restarts at 0 for a rotated file while old entries stay pending', () => {
    const store = newStore();
    const acks = new FileAcks(store, '/f.log', new InFlightBudget(), 0);
    const old = handOut(acks, [10, 10]);
    old[0]!.release();
    assert.equal(store.get('/f.log'), 10);
    acks.restart(0);
    assert.equal(store.get('/f.log'), 0, 'the new file is read from its start');
    const fresh = handOut(acks, [4, 4]);
    fresh[0]!.release();
    fresh[1]!.release();
    assert.equal(store.get('/f.log'), 0, 'an old entry is still pending');
    old[1]!.release();
    assert.equal(store.get('/f.log'), 8);
  });

  it('forgets a gone file and ignores later releases; a newer tracker takes the path over', () => {
    const store = newStore();
    const budget = new InFlightBudget();
    const a = new FileAcks(store, '/f.log', budget, 0);
    const [d1] = handOut(a, [10]);
    a.close(true);
    assert.equal(store.get('/f.log'), undefined);
    d1!.release();
    assert.equal(store.get('/f.log'), undefined);
    assert.equal(budget.bytes, 0);

    const b = new FileAcks(store, '/g.log', budget, 0);
    const [e1] = handOut(b, [10]);
    const c = new FileAcks(store, '/g.log', budget, 0);
    const [f1] = handOut(c, [3]);
    e1!.release(); // the older tracker no longer writes
    assert.equal(store.get('/g.log'), 0);
    f1!.release();
    assert.equal(store.get('/g.log'), 3);
  });

  it('keeps advancing a stopped (not gone) file as its entries are delivered', () => {
    const store = newStore();
    const acks = new FileAcks(store, '/f.log', new InFlightBudget(), 0);
    const d = handOut(acks, [10, 10]);
    acks.close(false);
    d[0]!.release();
    d[1]!.release();
    assert.equal(store.get('/f.log'), 20);
  });
});

describe('InFlightBudget', () => {
  it('is full at the limit and wakes waiters when releases bring it below', async () => {
    const budget = new InFlightBudget(100);
    const acks = new FileAcks(newStore(), '/f.log', budget, 0);
    const d = handOut(acks, [60, 50]);
    assert.equal(budget.full, true);
    let woke = 0;
    const waits = [budget.room().then(() => woke++), budget.room().then(() => woke++)];
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, 0);
    d[1]!.release(); // 60 < 100
    await Promise.all(waits);
    assert.equal(woke, 2);
    assert.equal(budget.full, false);
    await budget.room(); // resolves at once
  });

  it('once full, stays full until releases reach the low-water mark (a quarter below the limit)', async () => {
    const budget = new InFlightBudget(100);
    const acks = new FileAcks(newStore(), '/f.log', budget, 0);
    const d = handOut(acks, [60, 30, 20]);
    let woke = false;
    const wait = budget.room().then(() => {
      woke = true;
    });
    d[2]!.release(); // 90: below the limit, above 75
    await new Promise((r) => setImmediate(r));
    assert.equal(budget.full, true);
    assert.equal(woke, false);
    d[1]!.release(); // 60
    await wait;
    assert.equal(budget.full, false);
  });

  it('rejects a non-positive limit', () => {
    assert.throws(() => new InFlightBudget(0));
  });
});
