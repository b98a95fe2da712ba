// `file_sd_configs`, with Prometheus's semantics: each file matched by `files` (a glob in the last
// path segment only, ending in .json, .yml or .yaml) holds a list of target groups
// (`[{ targets: [...], labels: {...} }]`). Files are read at start, again whenever their
// directory changes, and all of them every `refresh_interval` (default 5m). Each group gets
// `__meta_filepath`; a file that disappears or shrinks takes its groups away, and a file that no
// longer parses keeps its last good groups (the error is logged).

import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import type { ConfigNode } from '../config/reader.js';
import { isValidLabelName } from '../labels.js';
import type { Logger } from '../log.js';
import { timerDelay } from '../timers.js';
import type { Discoverer, LabelSet, TargetGroup } from '../types.js';

export interface FileSdConfig {
  /** Absolute patterns. */
  files: string[];
  /** Default 5 minutes. */
  refreshIntervalMs: number;
}

const defaultRefreshIntervalMs = 5 * 60_000;
const patternRule = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

/** Parses one entry of `file_sd_configs`; relative patterns are taken from the config file's directory. */
export function parseFileSdConfig(node: ConfigNode, resolvePath: (p: string) => string): FileSdConfig {
  if (!node.isMap()) node.fail('expected a mapping with files and refresh_interval');
  node.expectKeys(['files', 'refresh_interval']);
  const filesNode = node.get('files');
  const files = filesNode.stringList([]);
  if (files.length === 0) filesNode.fail('file service discovery config must contain at least one path name');
  filesNode.list().forEach((n, i) => {
    if (!patternRule.test(files[i]!))
      n.fail(
        `path name "${files[i]}" is not valid for file discovery: a glob is allowed in the last path segment only, and the name must end in .json, .yml or .yaml`,
      );
  });
  const refreshNode = node.get('refresh_interval');
  const refreshIntervalMs = refreshNode.duration(defaultRefreshIntervalMs, undefined, 'prometheus');
  if (refreshIntervalMs <= 0) refreshNode.fail('must be greater than 0');
  return { files: files.map(resolvePath), refreshIntervalMs };
}

/** A target group file that does not parse; the message names the file and the group. */
export class FileSdError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'FileSdError';
  }
}

/** The target groups of one file's text (JSON by `.json`, YAML otherwise). */
export function parseTargetGroupFile(file: string, text: string): TargetGroup[] {
  const json = file.toLowerCase().endsWith('.json');
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new FileSdError(
      file,
      `not valid ${json ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message.split('\n')[0] : e}`,
    );
  }
  if (data === null || data === undefined) {
    if (json) throw new FileSdError(file, 'expected a list of target groups, got null');
    return [];
  }
  if (!Array.isArray(data))
    throw new FileSdError(file, 'expected a list of target groups ([{targets: [...], labels: {...}}])');
  return data.map((item: unknown, i) => {
    const where = `group ${i}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new FileSdError(file, `${where}: expected a mapping with targets and labels`);
    const g = item as Record<string, unknown>;
    if (!json) {
      for (const k of Object.keys(g))
        if (k !== 'targets' && k !== 'labels')
          throw new FileSdError(file, `${where}: unknown key "${k}" (allowed: targets, labels)`);
    }
    const targets: LabelSet[] = [];
    if (g.targets !== undefined && g.targets !== null) {
      if (!Array.isArray(g.targets))
        throw new FileSdError(file, `${where}: targets must be a list of strings`);
      for (const t of g.targets) {
        if (typeof t !== 'string' && (json || (typeof t !== 'number' && typeof t !== 'boolean')))
          throw new FileSdError(file, `${where}: targets must be a list of strings`);
        targets.push({ __address__: String(t) });
      }
    }
    const labels: LabelSet = {};
    if (g.labels !== undefined && g.labels !== null) {
      if (typeof g.labels !== 'object' || Array.isArray(g.labels))
        throw new FileSdError(file, `${where}: labels must be a mapping of names to values`);
      for (const [name, value] of Object.entries(g.labels as Record<string, unknown>)) {
        if (!isValidLabelName(name))
          throw new FileSdError(file, `${where}: "${name}" is not a valid label name`);
        if (typeof value !== 'string' && (json || (typeof value !== 'number' && typeof value !== 'boolean')))
          throw new FileSdError(file, `${where}: the value of label "${name}" must be a string`);
        labels[name] = String(value);
      }
    }
    labels.__meta_filepath = file;
    return { source: `${file}:${i}`, targets, labels };
  });
}

export interface FileSdDiscovererOptions {
  config: FileSdConfig;
  logger: Logger;
  /** Prepended to every group source so several discoverers of a job never collide. */
  sourcePrefix?: string;
}

export class FileSdDiscoverer implements Discoverer {
  private readonly logger: Logger;
  private readonly patterns: { dir: string; match: (name: string) => boolean }[];
  /** How many groups each file gave at its last good read. */
  private readonly counts = new Map<string, number>();
  private update: ((groups: TargetGroup[]) => void) | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private trailing: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: FileSdDiscovererOptions) {
    this.logger = options.logger.with({ component: 'file_sd' });
    this.patterns = options.config.files.map((p) => ({
      dir: dirname(p),
      match: picomatch(basename(p), { dot: true }),
    }));
  }

  async start(update: (groups: TargetGroup[]) => void): Promise<void> {
    this.update = update;
    await this.refresh();
    const dirs = [...new Set(this.patterns.map((p) => p.dir))];
    this.watcher = watch(dirs, { ignoreInitial: true, depth: 0, ignorePermissionErrors: true });
    const changed = (path: string) => {
      if (!this.patterns.some((p) => p.dir === dirname(path) && p.match(basename(path)))) return;
      void this.refresh();
      // chokidar folds events of a burst (a directory is re-read at most once a second): look
      // again after it, so the last write of a burst is never missed.
      if (!this.trailing) {
        this.trailing = setTimeout(() => {
          this.trailing = undefined;
          void this.refresh();
        }, 1100);
        this.trailing.unref();
      }
    };
    this.watcher.on('add', changed).on('change', changed).on('unlink', changed);
    this.watcher.on('error', (err) => this.logger.warn('watching target files failed', { err }));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    // A file written while the watch was being set up has no event: look once more.
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), timerDelay(this.options.config.refreshIntervalMs));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.trailing);
    await this.watcher?.close();
    await this.running;
  }

  /** Reads every matching file; refreshes asked for while one runs are folded into one more. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async readAll(): Promise<void> {
    const files = new Set<string>();
    for (const p of this.patterns) {
      let names: string[];
      try {
        names = await readdir(p.dir);
      } catch {
        continue;
      }
      for (const n of names) if (p.match(n)) files.add(join(p.dir, n));
    }
    const prefix = this.options.sourcePrefix ?? '';
    const out: TargetGroup[] = [];
    for (const file of [...files].sort()) {
      let groups: TargetGroup[];
      try {
        groups = parseTargetGroupFile(file, await readFile(file, 'utf8'));
      } catch (e) {
        // Gone between readdir and read: handled as absent below.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          files.delete(file);
          continue;
        }
        this.logger.error('error reading target file: keeping its previous targets', {
          file,
          err: e instanceof Error ? e.message : String(e),
        });
        continue;
      }
      const before = this.counts.get(file) ?? 0;
      for (const g of groups) out.push({ ...g, source: prefix + g.source });
      for (let i = groups.length; i < before; i++)
        out.push({ source: `${prefix}${file}:${i}`, targets: [], labels: {} });
      this.counts.set(file, groups.length);
    }
    for (const [file, count] of this.counts) {
      if (files.has(file)) continue;
      for (let i = 0; i < count; i++) out.push({ source: `${prefix}${file}:${i}`, targets: [], labels: {} });
      this.counts.delete(file);
    }
    if (out.length > 0 && !this.stopped) this.update?.(out);
  }
}
