// Generates CRI pod logs of realistic shape in a /var/log/pods-style tree: JSON, logfmt, plain
// text, Java stack traces (one entry per line) and long lines that kubelet splits into P/F
// fragments. Every logical entry carries `seq=<n>` (or "seq":n) so the receiver can check that
// each one arrived exactly once.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Manifest {
  root: string;
  bytes: number;
  files: { path: string; entries: number; bytes: number }[];
  entries: number;
}

const levels = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const words = 'request handled user cache miss retry upstream timeout connection pool order payment ok'.split(
  ' ',
);

/** A small deterministic PRNG, so the same size gives the same files. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

function sentence(r: () => number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += (i ? ' ' : '') + words[Math.floor(r() * words.length)];
  return out;
}

/** One logical entry's content (without the CRI prefix). */
function content(r: () => number, seq: number): string {
  const kind = r();
  const level = levels[Math.floor(r() * levels.length)];
  if (kind < 0.45) {
    return JSON.stringify({
      ts: new Date(1_700_000_000_000 + seq).toISOString(),
      level,
      msg: sentence(r, 6 + Math.floor(r() * 10)),
      seq,
      user_id: Math.floor(r() * 100000),
      latency_ms: Math.round(r() * 50000) / 100,
      path: `/api/v1/orders/${Math.floor(r() * 1e6)}`,
    });
  }
  if (kind < 0.75) {
    return `ts=${new Date(1_700_000_000_000 + seq).toISOString()} level=${level} caller=server.go:${Math.floor(r() * 900)} msg="${sentence(r, 5 + Math.floor(r() * 8))}" seq=${seq} status=${r() < 0.9 ? 200 : 500} duration=${Math.floor(r() * 900)}ms`;
  }
  if (kind < 0.93) return `${level.toUpperCase()} ${sentence(r, 8 + Math.floor(r() * 20))} seq=${seq}`;
  if (kind < 0.985)
    return `\tat com.example.service.Handler.method${Math.floor(r() * 99)}(Handler.java:${Math.floor(r() * 999)}) seq=${seq}`;
  // A long line: 20–60 KiB, split by kubelet at 16 KiB into P fragments and a final F.
  return `${'x'.repeat(20_000 + Math.floor(r() * 40_000))} seq=${seq}`;
}

const fragment = 16 * 1024;

export function generate(root: string, totalBytes: number, fileCount: number): Manifest {
  const manifestPath = join(root, 'manifest.json');
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.bytes >= totalBytes * 0.99 && m.files.length === fileCount) return m;
  }
  const files: Manifest['files'] = [];
  const perFile = Math.ceil(totalBytes / fileCount);
  const t0 = Date.parse('2024-05-01T10:00:00Z');
  for (let f = 0; f < fileCount; f++) {
    const r = rng(f + 1);
    const dir = join(
      root,
      'var/log/pods',
      `bench_pod-${f}_${(f + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
      'app',
    );
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '0.log');
    const fd = openSync(path, 'w');
    let bytes = 0;
    let seq = 0;
    const chunks: string[] = [];
    let pending = 0;
    while (bytes < perFile) {
      const text = content(r, seq);
      const nanos = String(seq % 1_000_000_000).padStart(9, '0');
      const time = `${new Date(t0 + seq * 3).toISOString().slice(0, 19)}.${nanos}Z`;
      const stream = r() < 0.8 ? 'stdout' : 'stderr';
      for (let off = 0; off < text.length; off += fragment) {
        const last = off + fragment >= text.length;
        const line = `${time} ${stream} ${last ? 'F' : 'P'} ${text.slice(off, off + fragment)}\n`;
        chunks.push(line);
        bytes += line.length;
        pending += line.length;
      }
      seq++;
      if (pending > 1 << 20) {
        writeSync(fd, chunks.join(''));
        chunks.length = 0;
        pending = 0;
      }
    }
    writeSync(fd, chunks.join(''));
    closeSync(fd);
    files.push({ path, entries: seq, bytes });
  }
  const manifest: Manifest = {
    root,
    bytes: files.reduce((a, f) => a + f.bytes, 0),
    files,
    entries: files.reduce((a, f) => a + f.entries, 0),
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return manifest;
}
