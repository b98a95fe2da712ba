// How a `__path__` glob is turned into files, shared by the file target manager and the dry-run
// tools so both find the same files: the directory to list (picomatch's own scan of the glob, so
// the base agrees with the matcher, extglobs included), how deep to go, and the listing itself.
// Symlinked directories are followed, each directory once by device and inode, so a symlink loop
// ends; every non-directory entry is listed, and the target manager decides what is tailed
// (regular files only). The target manager watches each directory a listing goes through.

import { type Dirent, type Stats, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';

/** The picomatch options of `__path__` and `__path_exclude__`. */
export const globOptions = { dot: true, posixSlashes: true } as const;

/** The longest directory prefix of a glob without glob characters, and how deep below it to look. */
export function globBase(glob: string): { base: string; depth: number } {
  const scan = picomatch.scan(glob);
  if (!scan.isGlob) return { base: dirname(glob), depth: 0 };
  const base = scan.base === '' ? (glob.startsWith('/') ? '/' : '.') : scan.base;
  const rest = scan.glob;
  // A brace may hold a slash ({a/b,c}): any depth, as with `**`.
  const unbounded = rest.includes('**') || (scan.isBrace && rest.includes('/'));
  return { base, depth: unbounded ? Number.POSITIVE_INFINITY : rest.split('/').length - 1 };
}

/**
 * Files (and other non-directories) below `dir`, at most `depth` directories down; each directory
 * once, by device and inode (a symlinked directory met again through its target, or a loop).
 */
export function listFiles(dir: string, depth: number, onDirectory?: DirectoryVisitor): Promise<string[]> {
  return new DirectoryLister().list(new Map([[dir, depth]]), onDirectory);
}

/** Told of every directory a listing goes through, with how deep below it the listing goes. */
export type DirectoryVisitor = (dir: string, depth: number) => void;

interface CachedDir {
  /** st_mtime in ms, with its sub-millisecond fraction. */
  mtimeMs: number;
  files: string[];
  dirs: string[];
  pass: number;
}

/**
 * The listing of the periodic rescans: a directory whose modification time has not changed since
 * the last pass is not read again (one stat instead of a readdir), so a rescan of ten thousand
 * pod directories costs little when nothing changed. Directories not met in a pass are forgotten.
 * A pass allocates little per unchanged directory (a plain stat, no promise, no string): on an
 * idle node its garbage would otherwise be promoted and grow the heap every rescan.
 */
export class DirectoryLister {
  private readonly cache = new Map<string, CachedDir>();
  private pass = 0;

  /** Files below each root directory, at most its depth down (as listFiles). */
  async list(roots: ReadonlyMap<string, number>, onDirectory?: DirectoryVisitor): Promise<string[]> {
    const pass = ++this.pass;
    const out: string[] = [];
    for (const [dir, depth] of roots) {
      /** Directories met below this root: inodes by device. */
      const visited = new Map<number, Set<number>>();
      // Depth-first, in listing order, without an async call per directory.
      const stack: { dir: string; depth: number }[] = [{ dir, depth }];
      for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
        let c = this.visit(next.dir, next.depth, visited, pass, onDirectory);
        if (c instanceof Promise) c = await c;
        if (c === undefined) continue;
        for (const f of c.files) out.push(f);
        if (next.depth > 0) {
          for (let i = c.dirs.length - 1; i >= 0; i--) stack.push({ dir: c.dirs[i]!, depth: next.depth - 1 });
        }
      }
    }
    for (const [dir, c] of this.cache) if (c.pass !== pass) this.cache.delete(dir);
    return out;
  }

  /** The directory's entries (from the cache when unchanged), or undefined: not a directory, or met already. */
  private visit(
    dir: string,
    depth: number,
    visited: Map<number, Set<number>>,
    pass: number,
    onDirectory: DirectoryVisitor | undefined,
  ): CachedDir | undefined | Promise<CachedDir | undefined> {
    let st: Stats | undefined;
    try {
      st = statSync(dir, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (st === undefined || !st.isDirectory()) return undefined;
    let inos = visited.get(st.dev);
    if (inos === undefined) {
      inos = new Set();
      visited.set(st.dev, inos);
    }
    if (inos.has(st.ino)) return undefined;
    inos.add(st.ino);
    onDirectory?.(dir, depth);
    const c = this.cache.get(dir);
    if (c !== undefined && c.mtimeMs === st.mtimeMs) {
      c.pass = pass;
      return c;
    }
    return this.read(dir, st.mtimeMs, pass);
  }

  private async read(dir: string, mtimeMs: number, pass: number): Promise<CachedDir | undefined> {
    const files: string[] = [];
    const dirs: string[] = [];
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) dirs.push(path);
      else if (e.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isDirectory())
        dirs.push(path);
      else files.push(path);
    }
    // Exact-size copies: 20,000 cached directories, each array grown by push holds spare room.
    const c = { mtimeMs, files: exact(files), dirs: exact(dirs), pass };
    this.cache.set(dir, c);
    return c;
  }
}

const noPaths: string[] = [];

function exact(paths: string[]): string[] {
  return paths.length === 0 ? noPaths : paths.slice();
}

/** Regular files matching `glob` and not `exclude`, sorted: what the agent would tail. */
export async function matchingFiles(glob: string, exclude?: string): Promise<string[]> {
  const { base, depth } = globBase(glob);
  const match = picomatch(glob, globOptions);
  const skip = exclude ? picomatch(exclude, globOptions) : undefined;
  const out: string[] = [];
  for (const path of await listFiles(base, depth)) {
    if (!match(path) || skip?.(path)) continue;
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) out.push(path);
  }
  return out.sort();
}
