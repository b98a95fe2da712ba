// Started by the journal tests as another user (`nobody`) to see what the journal target says
// about journals it may not read: starts a target on the directory in argv[2] (positions in
// argv[3]), waits for its first verdict, prints its status and logs as JSON, and stops it.

import { startHarness } from './journal-harness.js';

const [dir, positions] = process.argv.slice(2) as [string, string];
const h = startHarness(`job_name: perm\njournal:\n  path: ${dir}\n`, positions);
await h.target.start();
// journalctl may still be opening files: its verdict comes as an exit or a line on stderr.
for (let i = 0; i < 100 && h.target.status().ready; i++) await new Promise((r) => setTimeout(r, 50));
const status = h.target.status();
await h.close();
process.stdout.write(JSON.stringify({ status, logs: h.logs.join(''), received: h.received.length }));
