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

/**
 * `rename`: the entry was created, deleted or renamed; `change`: written to. No name: anything.
 * `dir` is the watched directory (one listener can serve many directories).
 */
export type WatchListener = (event: string, name: string | undefined, dir: string) => void;

/** A listener's subscription; close() is idempotent. */
export interface Watch {
  close(): void;
}

/** Why there is no watch: the directory does not exist, or watching is not possible. */
export type NoWatch = 'missing' | 'failed';

class DirectoryWatch {
  /**
   * Listeners of one entry, by name (one listener is kept without an array). Made on first use,
   * and listener arrays are replaced, not grown, so they hold no spare room: with 20,000
   * directories watched, that is megabytes.
   */
  byName: Map<string, WatchListener | WatchListener[]> | undefined;
  all: readonly WatchListener[] = noListeners;
  count = 0;
  closed = false;
  watcher: fs.FSWatcher | undefined;

  constructor(readonly dir: string) {}

  dispatch(event: string, name: string | null): void {
    const byName = this.byName;
    const dir = this.dir;
    if (name === null) {
      if (byName !== undefined) for (const ls of [...byName.values()]) call(ls, event, undefined, dir);
    } else {
      const ls = byName?.get(name);
      if (ls !== undefined) call(ls, event, name, dir);
    }
    for (const l of this.all) l(event, name ?? undefined, dir);
  }
}

const noListeners: readonly WatchListener[] = [];

/** Calls one listener or each of an array (never changed in place: a listener may unsubscribe). */
function call(
  ls: WatchListener | WatchListener[],
  event: string,
  name: string | undefined,
  dir: string,
): void {
  if (typeof ls === 'function') ls(event, name, dir);
  else for (const l of ls) l(event, name, dir);
}

/** Each watcher's directory: its listeners are shared functions, not two closures per directory. */
const watchOf = new WeakMap<fs.FSWatcher, DirectoryWatch>();

function onChange(this: fs.FSWatcher, event: string, name: string | null): void {
  watchOf.get(this)?.dispatch(event, name);
}

/** The directory went away (or the watch broke): forget it; listeners fall back to polling. */
function onError(this: fs.FSWatcher): void {
  const d = watchOf.get(this);
  if (d !== undefined) forgetDirectory(d.dir);
}

const directories = new Map<string, DirectoryWatch>();
/** Said once per process: the inotify limit or the file system does not allow a watch. */
let failureReported = false;

function open(dir: string, logger: Logger): DirectoryWatch | NoWatch {
  const existing = directories.get(dir);
  if (existing !== undefined) return existing;
  const d = new DirectoryWatch(dir);
  try {
    d.watcher = fs.watch(dir, { persistent: false });
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
  watchOf.set(d.watcher, d);
  d.watcher.on('change', onChange);
  d.watcher.on('error', onError);
  directories.set(dir, d);
  return d;
}

/** One listener's share of a directory watch (a class, not a closure: one per tailed file). */
class Subscription implements Watch {
  private open = true;

  constructor(
    private readonly d: DirectoryWatch,
    private readonly name: string | undefined,
    private readonly listener: WatchListener,
  ) {}

  close(): void {
    if (!this.open) return;
    this.open = false;
    const { d, name, listener } = this;
    if (name === undefined) d.all = d.all.filter((l) => l !== listener);
    else if (d.byName !== undefined) {
      const ls = d.byName.get(name);
      if (ls === listener) d.byName.delete(name);
      else if (ls !== undefined && typeof ls !== 'function') {
        const rest = ls.filter((l) => l !== listener);
        d.byName.set(name, rest.length === 1 ? rest[0]! : rest);
      }
    }
    if (--d.count === 0) close(d);
  }
}

function subscribe(d: DirectoryWatch, name: string | undefined, listener: WatchListener): Watch {
  if (name === undefined) d.all = d.all.concat(listener);
  else {
    d.byName ??= new Map();
    const ls = d.byName.get(name);
    if (ls === undefined) d.byName.set(name, listener);
    else if (typeof ls === 'function') d.byName.set(name, [ls, listener]);
    else d.byName.set(name, ls.concat(listener));
  }
  d.count++;
  return new Subscription(d, name, listener);
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
