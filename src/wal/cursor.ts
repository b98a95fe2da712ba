// Each client's read cursor in the disk buffer: the position up to which it has acknowledged
// entries, in a small file per client replaced atomically (write, fsync, rename), so a crash
// leaves either the old or the new cursor, never a torn one.

import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A place in the buffer: a segment and a byte offset in it (the end of a record). */
export interface WalPosition {
  segment: number;
  offset: number;
}

export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

const suffix = '.cursor';

function cursorFile(dir: string, client: string): string {
  return join(dir, `${encodeURIComponent(client)}${suffix}`);
}

/** The saved cursor of `client`; undefined when none was saved, 'invalid' when unreadable. */
export async function readCursor(dir: string, client: string): Promise<WalPosition | undefined | 'invalid'> {
  let text: string;
  try {
    text = await readFile(cursorFile(dir, client), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const value = JSON.parse(text) as Partial<WalPosition> & { client?: unknown };
    if (
      value.client === client &&
      Number.isSafeInteger(value.segment) &&
      Number.isSafeInteger(value.offset) &&
      value.segment! >= 0 &&
      value.offset! >= 0
    ) {
      return { segment: value.segment!, offset: value.offset! };
    }
  } catch {
    // fall through: a file that is not our JSON
  }
  return 'invalid';
}

/** Saves the cursor of `client` atomically and durably. */
export async function writeCursor(dir: string, client: string, position: WalPosition): Promise<void> {
  const file = cursorFile(dir, client);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify({ client, segment: position.segment, offset: position.offset })}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Client names with a cursor file in `dir`. */
export async function listCursors(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith(suffix)) continue;
    try {
      out.push(decodeURIComponent(name.slice(0, -suffix.length)));
    } catch {
      // not one of ours
    }
  }
  return out;
}

export async function removeCursor(dir: string, client: string): Promise<void> {
  await unlink(cursorFile(dir, client)).catch(() => {});
}
