// One inotify watch (`fs.watch`) per directory, shared by every reader of a file in it and by the
// target manager's discovery of new files and directories. A directory watch reports writes,
// creations, deletions and renames of its entries by name; each event goes to the listeners of
// that name and to the directory's own listeners. Ten thousand files in five thousand pod
// directories cost five thousand watches and no per-file watcher object. A watch that cannot be
// made (out of inotify watches, a file system without notifications) is said once per process;
// readers then rely on their safety-net poll.

import * as fs from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log.js';

/** `rename`: the entry was created, deleted or renamed; `change`: written to. No name: anything. */
export type WatchListener = (event: string, name: string | undefined) => void;

/** A listener's subscription; close() is idempotent. */
export interface Watch {
  close(): void;
}

/** Why there is no watch: the directory does not exist, or watching is not possible. */
export type NoWatch = 'missing' | 'failed';

class DirectoryWatch {
  /** Listeners of one entry, by name (one listener is kept without an array). */
  readonly byName = new Map<string, WatchListener | WatchListener[]>();
  readonly all: WatchListener[] = [];
  count = 0;
  closed = false;
  watcher: fs.FSWatcher | undefined;

  constructor(readonly dir: string) {}

  dispatch(event: string, name: string | null): void {
    if (name === null) {
      for (const ls of [...this.byName.values()]) for (const l of asArray(ls)) l(event, undefined);
    } else {
      const ls = this.byName.get(name);
      if (ls !== undefined) for (const l of asArray(ls)) l(event, name);
    }
    for (const l of [...this.all]) l(event, name ?? undefined);
  }
}

function asArray(ls: WatchListener | WatchListener[]): readonly WatchListener[] {
  return typeof ls === 'function' ? [ls] : [...ls];
}

const directories = new Map<string, DirectoryWatch>();
/** Said once per process: the inotify limit or the file system does not allow a watch. */
let failureReported = false;

function open(dir: string, logger: Logger): DirectoryWatch | NoWatch {
  const existing = directories.get(dir);
  if (existing !== undefined) return existing;
  const d = new DirectoryWatch(dir);
  try {
    d.watcher = fs.watch(dir, { persistent: false }, (event, name) => d.dispatch(event, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (!failureReported) {
      failureReported = true;
      logger.warn(
        'cannot watch files for changes: polling them at file_watch_config frequencies instead (said once)',
        { error: err, code, dir },
      );
    }
    return 'failed';
  }
  // The directory went away (or the watch broke): forget it; listeners fall back to polling.
  d.watcher.on('error', () => forgetDirectory(dir));
  directories.set(dir, d);
  return d;
}

function subscribe(d: DirectoryWatch, name: string | undefined, listener: WatchListener): Watch {
  if (name === undefined) d.all.push(listener);
  else {
    const ls = d.byName.get(name);
    if (ls === undefined) d.byName.set(name, listener);
    else if (typeof ls === 'function') d.byName.set(name, [ls, listener]);
    else ls.push(listener);
  }
  d.count++;
  let open = true;
  return {
    close() {
      if (!open) return;
      open = false;
      if (name === undefined) remove(d.all, listener);
      else {
        const ls = d.byName.get(name);
        if (ls === listener) d.byName.delete(name);
        else if (ls !== undefined && typeof ls !== 'function') {
          remove(ls, listener);
          if (ls.length === 1) d.byName.set(name, ls[0]!);
        }
      }
      if (--d.count === 0) close(d);
    },
  };
}

function remove(a: WatchListener[], l: WatchListener): void {
  const i = a.indexOf(l);
  if (i >= 0) a.splice(i, 1);
}

function close(d: DirectoryWatch): void {
  if (d.closed) return;
  d.closed = true;
  d.watcher?.close();
  if (directories.get(d.dir) === d) directories.delete(d.dir);
}

/** Listens to the events of the file at `path` (through its directory's watch). */
export function watchPath(path: string, logger: Logger, listener: WatchListener): Watch | NoWatch {
  const d = open(dirname(path), logger);
  return typeof d === 'string' ? d : subscribe(d, basename(path), listener);
}

/** Listens to every event of the entries of `dir`. */
export function watchDirectory(dir: string, logger: Logger, listener: WatchListener): Watch | NoWatch {
  const d = open(dir, logger);
  return typeof d === 'string' ? d : subscribe(d, undefined, listener);
}

/**
 * The directory was deleted or replaced: its inotify watch is dead. Its watcher is closed and a
 * later watch of the path starts afresh; present listeners hear one last event without a name.
 */
export function forgetDirectory(dir: string): void {
  const d = directories.get(dir);
  if (d === undefined) return;
  close(d);
  d.dispatch('rename', null);
}

/** Directories watched now (for tests and the benchmark's bookkeeping). */
export function watchedDirectoryCount(): number {
  return directories.size;
}
