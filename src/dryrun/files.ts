// The files a target's `__path__` glob matches right now (minus `__path_exclude__`), found the
// way the file target manager finds them: the same glob base, depth and picomatch options.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { globBase } from '../targets/file/file-targets.js';

const globOptions = { dot: true, posixSlashes: true } as const;

/** Regular files (and symlinks) matching `glob` and not `exclude`, sorted. */
export async function matchingFiles(glob: string, exclude?: string): Promise<string[]> {
  const { base, depth } = globBase(glob);
  const match = picomatch(glob, globOptions);
  const skip = exclude ? picomatch(exclude, globOptions) : undefined;
  const out: string[] = [];
  await walk(base, depth, (path) => {
    if (match(path) && !skip?.(path)) out.push(path);
  });
  return out.sort();
}

async function walk(dir: string, depth: number, found: (path: string) => void): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile() || e.isSymbolicLink()) found(path);
    else if (e.isDirectory() && depth > 0) await walk(path, depth - 1, found);
  }
}
