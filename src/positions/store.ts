// The positions file: how far each file has been read *and delivered*, in Promtail's format, so a
// Promtail positions file can be taken over as it is and a restart resumes where delivery got to.
//
//   positions:
//     /var/log/syslog: "12345"
//     journal-default: "s=7b4c...;i=1a2"      <- other targets' cursors, kept as they are
//
// Writes are atomic (temp file in the same directory, fsync, rename, fsync of the directory), so
// a crash at any instant leaves either the old or the new file, never a partial one. Changes are
// coalesced: written soon after a change (at most every `minWriteIntervalMs`, 100 ms, also while
// acknowledgements arrive at full speed) and at least every `syncPeriodMs` while anything
// changed, and once more by stop(). What a SIGKILL makes the agent send again is what Loki
// acknowledged since the last write began: about 100 ms plus one write's worth of shipping.
//
// The directory is fsynced after the rename only by stop(): a rename that a power loss undoes
// leaves the previous file, an older position, which re-sends more but loses nothing. The file
// itself is fsynced before each rename, so the rename never publishes a file without data.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Logger, silentLogger } from '../log.js';
import { timerDelay } from '../timers.js';

export interface PositionStoreOptions {
  /** `positions.filename`; Promtail's default is /var/log/positions.yaml. */
  filename: string;
  /** `positions.sync_period`: the longest a change waits before it is written. Default 10 s. */
  syncPeriodMs?: number;
  /** `positions.ignore_invalid_yaml`: start empty (and overwrite it) instead of failing on a corrupt file. */
  ignoreInvalidYaml?: boolean;
  /** Never write the file (dry-run, inspect). */
  readOnly?: boolean;
  /** The shortest time between the starts of two writes. Default 100 ms. */
  minWriteIntervalMs?: number;
  /**
   * Every sync period, forget the entries of files that no longer exist, as Promtail does.
   * Keys starting with `journal-` or `cursor-` are never cleaned. Default true.
   */
  cleanup?: boolean;
  logger?: Logger;
}

/** A positions file that cannot be read; the message names the file and says what to do. */
export class PositionsError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'PositionsError';
  }
}

/** The part of the store the acknowledgement tracker uses (tests may pass their own). */
export interface PositionSink {
  get(path: string): number | undefined;
  set(path: string, offset: number): void;
  remove(path: string): void;
  /** A reader holds the file (its tracker tells when the file is gone): cleanup need not stat it. */
  hold?(path: string): void;
  release?(path: string): void;
}

const fileMode = 0o600;
/** See PositionStoreOptions.minWriteIntervalMs. */
const defaultMinWriteIntervalMs = 100;
const journalKeyPrefix = 'journal-';
const cursorKeyPrefix = 'cursor-';

export class PositionStore implements PositionSink {
  readonly filename: string;
  private readonly syncPeriodMs: number;
  private readonly minWriteIntervalMs: number;
  private readonly readOnly: boolean;
  private readonly cleanupEnabled: boolean;
  private readonly logger: Logger;
  /** File offsets as numbers (set() is called per delivered entry: no string per call); cursors as strings. */
  private readonly entries = new Map<string, number | string>();
  private dirty = false;
  private lastWriteAt = 0;
  private writeTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private running = false;
  /** Paths a reader holds open now (by count): the cleanup leaves them to their reader. */
  private readonly held = new Map<string, number>();

  /** Reads the file now; throws PositionsError when it is unreadable (see `ignoreInvalidYaml`). */
  constructor(options: PositionStoreOptions) {
    this.filename = path.resolve(options.filename);
    this.syncPeriodMs = options.syncPeriodMs ?? 10_000;
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? defaultMinWriteIntervalMs;
    this.readOnly = options.readOnly ?? false;
    this.cleanupEnabled = options.cleanup ?? true;
    this.logger = (options.logger ?? silentLogger).with({ component: 'positions' });
    for (const [k, v] of readPositionsFile(this.filename, options.ignoreInvalidYaml ?? false, this.logger)) {
      const n = parseOffset(v);
      this.entries.set(k, n ?? v);
    }
  }

  /** The saved byte offset of a file, or undefined when there is none (or it is not a number). */
  get(key: string): number | undefined {
    const v = this.entries.get(key);
    return typeof v === 'number' ? v : undefined;
  }

  /** The raw value, for targets that store cursors (journal). */
  getString(key: string): string | undefined {
    const v = this.entries.get(key);
    return v === undefined ? undefined : String(v);
  }

  set(key: string, offset: number): void {
    if (this.entries.get(key) === offset) return;
    this.entries.set(key, offset);
    this.changed();
  }

  setString(key: string, value: string): void {
    if (this.entries.get(key) === value) return;
    this.entries.set(key, value);
    this.changed();
  }

  remove(key: string): void {
    if (this.entries.delete(key)) this.changed();
  }

  /** Number of entries (files and cursors). */
  get size(): number {
    return this.entries.size;
  }

  /** Starts the periodic write (and cleanup). Changes made before start() are written once it runs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.syncTimer = setInterval(() => void this.tick(), timerDelay(this.syncPeriodMs));
    this.syncTimer.unref();
    if (this.dirty) this.schedule();
  }

  /** Stops the timers and writes the file a last time. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.syncTimer);
    clearTimeout(this.writeTimer);
    this.syncTimer = undefined;
    this.writeTimer = undefined;
    await this.save(true);
  }

  /**
   * Writes the file now (after any write in progress). Errors are logged, not thrown: the next
   * write retries. `durable` also fsyncs the directory, so the rename survives a power loss.
   */
  async save(durable = false): Promise<void> {
    while (this.writing) await this.writing;
    if (this.readOnly) return;
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    this.dirty = false;
    this.lastWriteAt = Date.now();
    const text = this.render();
    this.writing = writeAtomically(this.filename, text, durable).then(
      () => {
        this.writing = undefined;
      },
      (err: unknown) => {
        this.writing = undefined;
        this.dirty = true;
        this.logger.error('error writing positions file', { file: this.filename, error: err });
      },
    );
    await this.writing;
  }

  /** The file's text as Promtail writes it: keys sorted, offsets as quoted strings. */
  render(): string {
    if (this.entries.size === 0) return 'positions: {}\n';
    const keys = [...this.entries.keys()].sort();
    let out = 'positions:\n';
    for (const k of keys) {
      out += `  ${yamlKey(k)}: ${JSON.stringify(String(this.entries.get(k)))}\n`;
    }
    return out;
  }

  private changed(): void {
    this.dirty = true;
    if (this.running && this.writeTimer === undefined) this.schedule();
  }

  private schedule(): void {
    const wait = Math.max(0, this.lastWriteAt + this.minWriteIntervalMs - Date.now());
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      if (this.dirty) void this.save();
    }, wait);
    this.writeTimer.unref();
  }

  private async tick(): Promise<void> {
    if (this.cleanupEnabled) await this.cleanup();
    if (this.dirty && this.running) await this.save();
  }

  hold(path: string): void {
    this.held.set(path, (this.held.get(path) ?? 0) + 1);
  }

  release(path: string): void {
    const n = (this.held.get(path) ?? 0) - 1;
    if (n > 0) this.held.set(path, n);
    else this.held.delete(path);
  }

  /**
   * Forgets files that no longer exist, as Promtail does each sync period (cursors are kept).
   * Files a reader holds are skipped: the reader removes the position when its file is gone, and
   * ten thousand idle files would otherwise cost ten thousand stats every sync period.
   */
  private async cleanup(): Promise<void> {
    const keys: string[] = [];
    for (const k of this.entries.keys()) {
      if (this.held.has(k)) continue;
      if (!k.startsWith(journalKeyPrefix) && !k.startsWith(cursorKeyPrefix)) keys.push(k);
    }
    await Promise.all(
      keys.map((k) =>
        fs.promises.stat(k).then(
          () => {},
          (err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') this.remove(k);
            else this.logger.warn('could not tell whether a file still exists', { path: k, error: err });
          },
        ),
      ),
    );
  }
}

function parseOffset(v: string): number | undefined {
  if (!/^\d{1,16}$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Absolute paths made of ordinary characters stay plain, as yaml.v2 writes them; the rest are quoted. */
function yamlKey(k: string): string {
  return /^\/[\w./+@=~,-]*$/.test(k) ? k : JSON.stringify(k);
}

function readPositionsFile(file: string, ignoreInvalid: boolean, logger: Logger): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return out;
    throw new PositionsError(file, `cannot read positions file [${file}]: ${e.message}`);
  }
  // A zero-length or zero-filled file is what some filesystems leave after a power loss during a
  // write by another program: nothing to resume from, but no reason to refuse to start either.
  if (/^[\0\s]*$/.test(text)) {
    if (text.length > 0) logger.warn('positions file holds no data, starting without positions', { file });
    return out;
  }
  try {
    let doc: unknown;
    try {
      doc = parseYaml(text, { uniqueKeys: false, intAsBigInt: true });
    } catch (err) {
      throw new Error((err as Error).message.split('\n')[0]);
    }
    if (doc === null || doc === undefined) return out;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the document is not a mapping');
    for (const key of Object.keys(doc)) {
      // Promtail refuses unknown top-level keys; they carry nothing we could use, so we only warn.
      if (key !== 'positions') logger.warn('ignoring unknown key in positions file', { file, key });
    }
    const positions = (doc as Record<string, unknown>).positions;
    if (positions === null || positions === undefined) return out;
    if (typeof positions !== 'object' || Array.isArray(positions))
      throw new Error('`positions` is not a mapping');
    for (const [k, v] of Object.entries(positions)) {
      if (typeof v === 'string') out.set(k, v);
      else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
        out.set(k, String(v));
      else throw new Error(`the value of ${JSON.stringify(k)} is not a string`);
    }
    return out;
  } catch (err) {
    const reason = (err as Error).message;
    if (ignoreInvalid) {
      logger.warn('ignoring invalid positions file, starting without positions; it will be overwritten', {
        file,
        error: reason,
      });
      return new Map();
    }
    throw new PositionsError(
      file,
      `invalid yaml positions file [${file}]: ${reason} (fix or delete it, or set positions.ignore_invalid_yaml: true to start without positions)`,
    );
  }
}

/** Temp file in the same directory, fsync, rename over the target, with `syncDir` fsync the directory. */
async function writeAtomically(file: string, text: string, syncDir: boolean): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.promises.open(tmp, 'w', fileMode);
  try {
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  if (!syncDir) return;
  // Make the rename itself durable; some filesystems do not allow opening a directory: not fatal.
  try {
    const d = await fs.promises.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {}
}
