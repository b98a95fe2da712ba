// A counting Loki receiver for the benchmark, in its own process so that its CPU is not
// counted as the agent's. Decodes every push as Loki does and checks each generated entry
// (by file and seq) arrives once. Talks to the runner over the IPC channel.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRequestBody } from '../test/support/loki-receiver.js';

const expected = new Map<string, Uint8Array>();
let entries = 0;
let duplicates = 0;
let unknown = 0;
let lastEntryAt = 0;
let firstEntryAt = 0;
const seqPattern = /seq[=":]+(\d+)/;

process.on('message', (msg: { type: string; files?: { path: string; entries: number }[] }) => {
  if (msg.type === 'expect') {
    for (const f of msg.files ?? []) expected.set(f.path, new Uint8Array(f.entries));
  } else if (msg.type === 'stats') {
    let missing = 0;
    for (const seen of expected.values()) for (const s of seen) if (s === 0) missing++;
    process.send?.({ type: 'stats', entries, duplicates, unknown, missing, firstEntryAt, lastEntryAt });
  }
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const push = decodeRequestBody(req, Buffer.concat(chunks));
      const now = Date.now();
      if (!firstEntryAt) firstEntryAt = now;
      for (const stream of push.streams) {
        const seen = expected.get(stream.labels.filename ?? '');
        for (const e of stream.entries) {
          entries++;
          const m = seqPattern.exec(e.line.length > 10_000 ? e.line.slice(-40) : e.line);
          const seq = m ? Number(m[1]) : -1;
          if (!seen || seq < 0 || seq >= seen.length) unknown++;
          else if (seen[seq]++) duplicates++;
        }
      }
      lastEntryAt = now;
      res.writeHead(204).end();
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
