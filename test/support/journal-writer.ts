// Makes real journal files for the journal tests: entries are written in the journal export
// format and turned into a `.journal` file by Debian's systemd-journal-remote (which compresses
// large fields as journald does).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where Debian's package `systemd-journal-remote` installs the program. */
export const journalRemote = '/lib/systemd/systemd-journal-remote';

export interface ExportEntry {
  /** Wall-clock time in microseconds. */
  realtimeUs: bigint;
  /** Data fields in order; repeated names are kept. */
  fields: [string, string | Buffer][];
  bootId?: string;
}

const defaultBootId = '0123456789abcdef0123456789abcdef';
let monotonic = 1_000_000n;

/** The entries in the export format: printable UTF-8 without newlines as text, the rest binary. */
export function exportStream(entries: ExportEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    monotonic += 1000n;
    parts.push(
      Buffer.from(
        `__REALTIME_TIMESTAMP=${e.realtimeUs}\n__MONOTONIC_TIMESTAMP=${monotonic}\n_BOOT_ID=${e.bootId ?? defaultBootId}\n`,
      ),
    );
    for (const [name, value] of e.fields) parts.push(exportField(name, value));
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export function exportField(name: string, value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const printable = Buffer.isBuffer(value)
    ? false
    : !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) && Buffer.from(value).toString() === value;
  if (printable) return Buffer.concat([Buffer.from(`${name}=`), bytes, Buffer.from('\n')]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([Buffer.from(`${name}\n`), size, bytes, Buffer.from('\n')]);
}

/** Writes `entries` to `<dir>/<name>` with systemd-journal-remote; resolves with the file's path. */
export async function writeJournal(dir: string, name: string, entries: ExportEntry[]): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const child = spawn(journalRemote, [`--output=${file}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => {
    stderr += t;
  });
  child.stdin.end(exportStream(entries));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${journalRemote} failed (${code}): ${stderr}`);
  return file;
}

/** Microseconds since the epoch, `agoMs` milliseconds ago. */
export function usAgo(agoMs: number): bigint {
  return BigInt(Date.now() - agoMs) * 1000n;
}
