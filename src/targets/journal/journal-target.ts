// The `journal:` source: reads the systemd journal through `journalctl --follow --output=export`
// as a child process, turns each entry into Promtail's labels, line and timestamp, and saves the
// cursor of the newest entry that every client has acknowledged (with every entry before it),
// under Promtail's key `cursor-<job_name>`.
//
// Why journalctl rather than a reader of the file format: it reads every journal systemd can
// write (zstd, lz4 and xz compression, compact mode, keyed hashes), follows rotation, vacuuming
// and new files itself, and its export format carries binary fields unchanged. See docs/journal.md.

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { InFlightBudget } from '../../positions/acks.js';
import { CursorAcks } from '../../positions/cursor-acks.js';
import type { SourceContext, SourceStatus } from '../source.js';
import type { JournalConfig } from './config.js';
import { ExportParser, type ExportRecord } from './export-parser.js';
import { entryData, promtailEntry } from './fields.js';
import { type JournalMetrics, journalMetrics } from './metrics.js';

export interface JournalTargetOptions {
  /** The journalctl program. Default `journalctl`, found on PATH. */
  journalctl?: string;
  /** Wait before starting journalctl again after it failed or could not start. Default 10 s. */
  restartDelayMs?: number;
  /** Directories read when `path` is not set (journalctl's own default). */
  systemDirectories?: string[];
}

/** Promtail's positions key for a journal job (positions.CursorKey). */
export function cursorKey(jobName: string): string {
  return `cursor-${jobName}`;
}

/** The key Promtail used before it had CursorKey; read when the new one is absent. */
function legacyKey(jobName: string): string {
  return `journal-${jobName}`;
}

const defaultSystemDirectories = ['/var/log/journal', '/run/log/journal'];
const stderrLinesKept = 5;

type Child = ChildProcessByStdio<null, Readable, Readable>;

export class JournalTarget {
  private readonly acks: CursorAcks;
  private readonly metrics: JournalMetrics;
  private readonly parser: ExportParser;
  private readonly journalctl: string;
  private readonly restartDelayMs: number;
  private readonly systemDirectories: string[];
  private child: Child | undefined;
  private exited: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private ready = false;
  private lastError = '';
  /** Cursor of the last entry read from journalctl (handed on or not). */
  private lastRead: string | undefined;
  private entriesRead = 0;
  private stderrTail: string[] = [];
  private paused = false;
  /** journalctl could not seek to the saved cursor: start at max_age ago instead. */
  private savedCursorRefused = false;

  constructor(
    private readonly config: JournalConfig,
    private readonly ctx: SourceContext,
    private readonly budget: InFlightBudget = new InFlightBudget(),
    options: JournalTargetOptions = {},
  ) {
    this.journalctl = options.journalctl ?? 'journalctl';
    this.restartDelayMs = options.restartDelayMs ?? 10_000;
    this.systemDirectories = options.systemDirectories ?? defaultSystemDirectories;
    this.metrics = journalMetrics(ctx.metrics);
    const saved =
      ctx.positions.getString(cursorKey(ctx.jobName)) ?? ctx.positions.getString(legacyKey(ctx.jobName));
    this.acks = new CursorAcks(ctx.positions, cursorKey(ctx.jobName), budget, saved || undefined);
    this.parser = new ExportParser(
      (record) => this.onRecord(record),
      (reason) => this.onMalformed(reason),
    );
  }

  /** Starts journalctl. Resolves once it runs, or once the reason it cannot is logged (status not ready; retried later). */
  async start(): Promise<void> {
    this.stopping = false;
    await this.launch();
  }

  /** Stops journalctl; entries already handed on stay in flight and still move the cursor when released. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (child) {
      // Stop reading first: a paused stdout with unread data would otherwise keep 'close' from firing.
      child.stdout.removeAllListeners('data');
      child.stdout.destroy();
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(force);
    }
    this.ready = false;
  }

  status(): SourceStatus {
    const details: Record<string, string | number> = {
      path: this.config.path ?? this.systemDirectories.join(', '),
      position: this.acks.cursor ?? '',
      entries_read: this.entriesRead,
      in_flight: this.acks.pending,
    };
    if (this.config.matches.length > 0)
      details.matches = this.config.matches.map((m) => `${m.field}=${m.value}`).join(' ');
    if (!this.ready && this.lastError) details.error = this.lastError;
    return {
      job: this.ctx.jobName,
      kind: 'journal',
      ready: this.ready,
      labels: { ...this.config.labels },
      details,
    };
  }

  /** The journalctl arguments for the next start (exported for the dry-run tools and tests). */
  arguments(now = Date.now()): string[] {
    const args = ['--follow', '--no-tail', '--no-pager', '--merge', '--output=export'];
    if (this.config.path) args.push(`--directory=${this.config.path}`);
    const cursor = this.lastRead ?? this.usableSavedCursor(now);
    if (cursor !== undefined) args.push(`--after-cursor=${cursor}`);
    else args.push(`--since=@${sinceSeconds(now, this.config.maxAgeMs)}`);
    if (this.config.matches.length > 0) {
      args.push('--');
      for (const m of this.config.matches) args.push(`${m.field}=${m.value}`);
    }
    return args;
  }

  /** The saved cursor, unless it is older than max_age or journalctl refused it (Promtail then starts at max_age ago). */
  private usableSavedCursor(now: number): string | undefined {
    const saved = this.acks.cursor;
    if (saved === undefined || this.savedCursorRefused) return undefined;
    if (isTooOld(saved, now, this.config.maxAgeMs)) {
      this.ctx.logger.info('saved journal position is older than max_age, starting at max_age ago', {
        job: this.ctx.jobName,
        position: saved,
      });
      return undefined;
    }
    return saved;
  }

  private async launch(): Promise<void> {
    const problem = await this.checkDirectories();
    if (this.stopping) return;
    if (problem) {
      this.notReady(problem);
      return;
    }
    const args = this.arguments();
    this.ctx.logger.info('starting journalctl', { job: this.ctx.jobName, args: args.join(' ') });
    const child = spawn(this.journalctl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrTail = [];
    let resolveExit!: () => void;
    this.exited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = (err?: NodeJS.ErrnoException, code?: number | null, signal?: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        this.child = undefined;
        this.paused = false;
        // An entry cut short by a stop or a signal is not malformed input; the next start re-reads it.
        if (this.stopping || signal) this.parser.reset();
        else this.parser.end();
        resolveExit();
        resolve();
        if (this.stopping) return;
        if (err) {
          this.notReady(
            err.code === 'ENOENT'
              ? `cannot run ${this.journalctl}: not found (install systemd's journalctl, Debian package "systemd", or put it on PATH)`
              : `cannot run ${this.journalctl}: ${err.message}`,
          );
        } else {
          const why = this.stderrTail.join(' | ') || 'no message';
          if (this.lastRead === undefined && /seek to cursor/i.test(why) && !this.savedCursorRefused) {
            this.savedCursorRefused = true;
            this.ctx.logger.error('received error reading saved journal position, starting at max_age ago', {
              job: this.ctx.jobName,
              position: this.acks.cursor,
              error: why,
            });
            void this.launch();
            return;
          }
          this.notReady(`journalctl exited (${signal ?? `code ${code}`}): ${why}`);
        }
      };
      child.once('spawn', () => {
        this.ready = true;
        this.lastError = '';
        resolve();
      });
      child.once('error', (err) => finish(err));
      child.once('close', (code, signal) => finish(undefined, code, signal));
      child.stdout.on('data', (chunk: Buffer) => this.onChunk(child, chunk));
      readLines(child.stderr, (line) => this.onStderr(line));
    });
  }

  private onChunk(child: Child, chunk: Buffer): void {
    this.parser.push(chunk);
    if (this.budget.full && !this.paused) {
      this.paused = true;
      child.stdout.pause();
      void this.budget.room().then(() => {
        if (this.child !== child || !this.paused) return;
        this.paused = false;
        child.stdout.resume();
      });
    }
  }

  private onRecord(record: ExportRecord): void {
    const data = entryData(record);
    if (data.cursor === undefined || data.realtimeUs === undefined) {
      this.onMalformed('entry without __CURSOR or __REALTIME_TIMESTAMP');
      return;
    }
    const cursor = data.cursor;
    this.lastRead = cursor;
    this.entriesRead++;
    const result = promtailEntry(data.fields, this.config, this.ctx.relabelConfigs);
    if (typeof result === 'string') {
      this.metrics.errors.inc({ error: result });
      this.acks.skip(cursor);
      return;
    }
    this.metrics.lines.inc();
    // Weighed by what it holds in memory: a field's bytes beyond 64 KiB were skipped, not kept.
    let weight = 0;
    for (const v of record.values) weight += v.length;
    const delivery = this.acks.track(cursor, weight);
    this.ctx.sink({
      labels: result.labels,
      timestamp: data.realtimeUs * 1000n,
      line: result.line,
      extracted: {},
      delivery,
    });
  }

  private onMalformed(reason: string): void {
    this.metrics.errors.inc({ error: 'malformed_export' });
    this.ctx.logger.error('malformed journal export entry skipped', { job: this.ctx.jobName, error: reason });
  }

  private onStderr(line: string): void {
    if (line === '') return;
    this.stderrTail.push(line);
    if (this.stderrTail.length > stderrLinesKept) this.stderrTail.shift();
    // journalctl keeps running after some of these (no permission on some files): say so loudly.
    const level = /insufficient permissions|No journal files were|Failed/.test(line) ? 'error' : 'warn';
    this.ctx.logger[level]('journalctl', { job: this.ctx.jobName, message: line });
    if (/No journal files were (opened|found)/.test(line)) this.notReady(line, false);
  }

  private notReady(reason: string, restart = true): void {
    this.ready = false;
    this.lastError = reason;
    this.ctx.logger.error('cannot read the journal', { job: this.ctx.jobName, error: reason });
    if (restart && !this.stopping && this.restartTimer === undefined) {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.stopping) void this.launch();
      }, this.restartDelayMs);
      this.restartTimer.unref();
    }
  }

  /** Says why no journal can be read before journalctl is even started (missing directory, permission). */
  private async checkDirectories(): Promise<string | undefined> {
    const dirs = this.config.path ? [this.config.path] : this.systemDirectories;
    const problems: string[] = [];
    for (const dir of dirs) {
      try {
        await fs.promises.access(dir, fs.constants.R_OK | fs.constants.X_OK);
        const st = await fs.promises.stat(dir);
        if (!st.isDirectory()) {
          problems.push(`${dir} is not a directory`);
          continue;
        }
        return undefined;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') problems.push(`journal directory ${dir} does not exist`);
        else if (e.code === 'EACCES' || e.code === 'EPERM')
          problems.push(
            `no permission to read journal directory ${dir} (run as root or in the systemd-journal group)`,
          );
        else problems.push(`cannot read journal directory ${dir}: ${e.message}`);
      }
    }
    return problems.join('; ');
  }
}

/** Promtail's check: a saved cursor whose entry is older than max_age is not used. The cursor's `t=` is its realtime in hex µs. */
function isTooOld(cursor: string, nowMs: number, maxAgeMs: number): boolean {
  const m = /(?:^|;)t=([0-9a-f]{1,16})(?:;|$)/.exec(cursor);
  if (!m) return false;
  const us = Number.parseInt(m[1]!, 16);
  return nowMs - us / 1000 > maxAgeMs;
}

function sinceSeconds(nowMs: number, maxAgeMs: number): string {
  const us = Math.max(0, Math.round((nowMs - maxAgeMs) * 1000));
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

function readLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(0, 4096);
    for (const line of lines) onLine(line.slice(0, 4096));
  });
  stream.on('end', () => {
    if (partial) onLine(partial);
  });
}
