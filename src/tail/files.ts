// File-system helpers of the tailer: open only regular files (a FIFO, a device or a socket can
// block a thread-pool thread in open() or never end), the first-bytes fingerprint that identifies
// a file's content, and the search for the copy that copytruncate left next to a truncated file.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';

/** Promtail's `reason` label values of promtail_targets_failed_total for paths that are not tailed. */
export type NotTailedReason = 'not_regular_file' | 'symlink_loop' | 'unreadable';

/** The path names something that is not a regular file (or cannot be resolved to one). */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: NotTailedReason,
    detail: string,
  ) {
    super(`not tailing ${path}: ${detail}`);
  }
}

/** What a path resolves to, for the reason a non-regular file is refused. */
export function describeKind(st: fs.Stats | fs.BigIntStats): string {
  if (st.isDirectory()) return 'it is a directory';
  if (st.isFIFO()) return 'it is a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'it is a character device';
  if (st.isBlockDevice()) return 'it is a block device';
  if (st.isSocket()) return 'it is a socket';
  return 'it is not a regular file';
}

/** Maps a stat/open error to the reason a path is not tailed, or undefined for an ordinary error. */
export function notTailedReason(err: unknown): NotTailedReason | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'symlink_loop';
  return undefined;
}

/** Whether `path` no longer names a file of this size and identity (one sync stat; any error: yes). */
export function pathChanged(path: string, size: number, ino: number, dev: number): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(path, { throwIfNoEntry: false });
  } catch {
    return true;
  }
  return st === undefined || st.size !== size || st.ino !== ino || st.dev !== dev;
}

/** Whether `path` names the file with this identity now (one sync stat). */
export function pathIs(path: string, ino: bigint, dev: bigint): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(path, { throwIfNoEntry: false });
  } catch {
    return false;
  }
  return st !== undefined && st.ino === Number(ino) && st.dev === Number(dev);
}

export interface OpenedFile {
  fd: number;
  dev: bigint;
  ino: bigint;
  size: bigint;
}

/**
 * Opens `path` for reading if it is a regular file. It is checked before the open (stat follows
 * symlinks, so a link to /dev/zero is refused) and the descriptor again after it, since the path
 * may have changed in between; O_NONBLOCK makes the open itself return at once even then.
 */
export async function openRegular(path: string): Promise<OpenedFile> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(path);
  } catch (err) {
    const reason = notTailedReason(err);
    if (reason) throw new NotRegularFileError(path, reason, 'too many levels of symbolic links');
    throw err;
  }
  if (!st.isFile()) throw new NotRegularFileError(path, 'not_regular_file', describeKind(st));
  const fd = await new Promise<number>((resolve, reject) => {
    fs.open(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (err, fd) =>
      err ? reject(err) : resolve(fd),
    );
  });
  let fst: fs.BigIntStats;
  try {
    fst = await fstat(fd);
  } catch (err) {
    fs.close(fd, () => {});
    throw err;
  }
  if (!fst.isFile()) {
    fs.close(fd, () => {});
    throw new NotRegularFileError(path, 'not_regular_file', describeKind(fst));
  }
  return { fd, dev: fst.dev, ino: fst.ino, size: fst.size };
}

export function fstat(fd: number): Promise<fs.BigIntStats> {
  return new Promise((resolve, reject) => {
    fs.fstat(fd, { bigint: true }, (err, st) => (err ? reject(err) : resolve(st)));
  });
}

/** Bytes of `fd` after `from`, plus the whole of the files queued after it (what is left unread). */
export async function unreadBytes(
  fd: number,
  from: number,
  queued: readonly { fd: number }[],
): Promise<number> {
  let unread = 0;
  for (const [f, start] of [[fd, from] as const, ...queued.map((q) => [q.fd, 0] as const)]) {
    try {
      unread += Math.max(0, Number((await fstat(f)).size) - start);
    } catch {
      // nothing known about this one
    }
  }
  return unread;
}

/** Bytes of a file's start that identify its content (as Vector's fingerprint). */
export const fingerprintBytes = 1024;

/** A digest of the first `length` bytes of a file. */
export interface Fingerprint {
  length: number;
  digest: string;
}

const fpBuf = Buffer.allocUnsafeSlow(fingerprintBytes);

/** The fingerprint of the first (at most 1 KiB) bytes of an open file. Sync: one small pread. */
export function fingerprintOf(fd: number, length = fingerprintBytes): Fingerprint {
  let n = 0;
  while (n < length) {
    const got = fs.readSync(fd, fpBuf, n, length - n, n);
    if (got === 0) break;
    n += got;
  }
  return { length: n, digest: createHash('sha1').update(fpBuf.subarray(0, n)).digest('base64') };
}

/** The fingerprint of bytes already in memory (the first bytes of a file, just read). */
export function fingerprintOfBytes(head: Buffer): Fingerprint {
  const bytes = head.subarray(0, fingerprintBytes);
  return { length: bytes.length, digest: createHash('sha1').update(bytes).digest('base64') };
}

/** Whether an open file still starts with the bytes of fingerprint `fp`. */
export function startsAsBefore(fd: number, fp: Fingerprint): boolean {
  try {
    const now = fingerprintOf(fd, fp.length);
    return now.length === fp.length && now.digest === fp.digest;
  } catch {
    return true; // the read will report the error
  }
}

/**
 * Looks next to `path` for the copy copytruncate made of it before truncating: a regular file,
 * other than the one at `path` (`ino`), at least `minSize` bytes long, whose first bytes have
 * the fingerprint `fp`. Returns it opened, or undefined.
 */
export async function findCopy(
  path: string,
  ino: bigint,
  minSize: number,
  fp: Fingerprint,
): Promise<OpenedFile | undefined> {
  if (fp.length === 0) return undefined;
  const dir = dirname(path);
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const candidate = join(dir, name);
    if (candidate === path) continue;
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.stat(candidate, { bigint: true });
    } catch {
      continue;
    }
    if (!st.isFile() || st.ino === ino || Number(st.size) < minSize) continue;
    let opened: OpenedFile;
    try {
      opened = await openRegular(candidate);
    } catch {
      continue;
    }
    const same = fingerprintOf(opened.fd, fp.length);
    if (same.length === fp.length && same.digest === fp.digest) return opened;
    fs.close(opened.fd, () => {});
  }
  return undefined;
}
