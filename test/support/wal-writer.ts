// A child process for the disk buffer's crash tests: appends batches of numbered lines to a WAL
// (`<round> <n> yyy...` lines), reports on stdout each batch once it is durable
// (`durable <last n>`), and reads and acknowledges through client `loki`, reporting each batch
// acknowledged (`acked <round> <first n> <last n>`: a batch holds entries of one round), until
// it is killed.
//
//   node --import tsx test/support/wal-writer.ts <dir> <round>

import { Wal } from '../../src/wal/index.js';

const [dir, round] = process.argv.slice(2) as [string, string];
const wal = await Wal.open({ dir, clients: ['loki'], segmentSize: 256 * 1024 });
const labels = { job: 'crash', round };

async function ship(): Promise<void> {
  const reader = wal.reader('loki');
  for await (const batch of reader) {
    reader.ack(batch.end);
    const [from, n] = batch.entries[0]!.line.split(' ');
    const to = batch.entries.at(-1)!.line.split(' ')[1];
    process.stdout.write(`acked ${from} ${n} ${to}\n`);
  }
}
void ship();

let n = 0;
for (;;) {
  const entries = Array.from({ length: 200 }, () => ({
    labels,
    timestamp: BigInt(n),
    line: `${round} ${n++} ${'y'.repeat(200)}`,
    extracted: {},
  }));
  // Several appends in flight share fsyncs, as the agent's would.
  await Promise.all([wal.append(entries.slice(0, 100)), wal.append(entries.slice(100))]);
  process.stdout.write(`durable ${n - 1}\n`);
}
