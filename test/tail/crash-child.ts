// Child process for the crash test: tails IN from its saved position, "delivers" each line by
// appending it to OUT (synchronously), then releases it. The parent kills it with SIGKILL at
// random moments; whatever the instant, a restart must lose no line.
//   node --import tsx crash-child.ts IN OUT POSITIONS
import * as fs from 'node:fs';
import { InFlightBudget, type LineDelivery } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';
import { Tailer } from '../../src/tail/tailer.js';

const [input, output, positions] = process.argv.slice(2) as [string, string, string];
const store = new PositionStore({ filename: positions, minWriteIntervalMs: 5, syncPeriodMs: 50 });
store.start();
const out = fs.openSync(output, 'a');
// Deliver batches of at most 500 lines on a timer, like a client acknowledging a batch.
const pending: { line: string; d: LineDelivery }[] = [];
setInterval(() => {
  if (pending.length === 0) return;
  const batch = pending.splice(0, 500);
  fs.writeSync(out, batch.map((p) => `${p.line}\n`).join(''));
  for (const p of batch) p.d.release();
}, 30);
const tailer = new Tailer({
  path: input,
  positions: store,
  budget: new InFlightBudget(64 * 1024),
  minPollFrequencyMs: 10,
  maxPollFrequencyMs: 10,
  chunkSize: 4096,
  onLine: (line, d) => {
    pending.push({ line, d });
  },
});
await tailer.start();
process.stdout.write('started\n');
