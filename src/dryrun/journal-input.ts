// Saved journal entries as `logferry pipeline` input for a journal job: the export format
// (`journalctl -o export`) or JSON (`journalctl -o json`, one object per line), turned into what
// the journal target hands the pipeline (Promtail's `__journal_*` labels, the job's labels and
// relabel_configs, MESSAGE or the JSON line, the realtime timestamp), with the same code.

import type { ScrapeConfig } from '../config/types.js';
import { ExportParser } from '../targets/journal/export-parser.js';
import {
  entryData,
  entryDataFromJson,
  type JournalEntryData,
  promtailEntry,
} from '../targets/journal/fields.js';
import type { LabelSet } from '../types.js';
import { CommandError } from './common.js';
import type { PipelineInput } from './pipeline-run.js';

/**
 * The journal job's entries from saved input; `time` replaces every entry's own timestamp and
 * `labels` (`--labels`) are added to the block's `labels`, before relabeling.
 */
export function journalInputs(
  job: ScrapeConfig,
  input: Buffer,
  time?: bigint,
  labels: LabelSet = {},
): PipelineInput[] {
  return toInputs(job, looksLikeJson(input) ? fromJson(input) : fromExport(input), time, labels);
}

/** Entries given as `journalctl -o json` objects (the `journal:` input of `logferry test`). */
export function journalInputsFromObjects(
  job: ScrapeConfig,
  objects: readonly Record<string, unknown>[],
  time?: bigint,
): PipelineInput[] {
  // YAML reads `PRIORITY: 6` as a number; journalctl writes every value as a string.
  const strings = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, typeof v === 'number' || typeof v === 'boolean' ? String(v) : v]),
    );
  return toInputs(
    job,
    objects.map((o) => entryDataFromJson(strings(o))),
    time,
  );
}

function toInputs(
  job: ScrapeConfig,
  entries: JournalEntryData[],
  time: bigint | undefined,
  labels: LabelSet = {},
): PipelineInput[] {
  if (job.source?.kind !== 'journal') throw new CommandError(`job ${job.jobName} is not a journal job`);
  const config = { ...job.source.config, labels: { ...job.source.config.labels, ...labels } };
  return entries.map((data): PipelineInput => {
    const timestamp = time ?? (data.realtimeUs === undefined ? undefined : data.realtimeUs * 1000n);
    const message = data.fields.get('MESSAGE')?.toString('utf8') ?? '';
    const result = promtailEntry(data.fields, config, job.relabelConfigs);
    if (typeof result === 'string')
      return { labels: {}, line: message, skipped: { stage: 'journal', reason: result } };
    return { labels: result.labels, line: result.line, ...(timestamp === undefined ? {} : { timestamp }) };
  });
}

function looksLikeJson(input: Buffer): boolean {
  for (const b of input) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b; // {
  }
  return false;
}

function fromJson(input: Buffer): JournalEntryData[] {
  const out: JournalEntryData[] = [];
  input
    .toString('utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new CommandError(`input line ${i + 1}: not a journal JSON entry: ${(e as Error).message}`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new CommandError(`input line ${i + 1}: expected a JSON object (journalctl -o json)`);
      out.push(entryDataFromJson(value as Record<string, unknown>));
    });
  return out;
}

function fromExport(input: Buffer): JournalEntryData[] {
  const out: JournalEntryData[] = [];
  const errors: string[] = [];
  const parser = new ExportParser(
    (record) => out.push(entryData(record)),
    (reason) => errors.push(reason),
  );
  parser.push(input);
  // The last entry may end without its blank line.
  if (!parser.idle) parser.push(Buffer.from('\n'));
  parser.end();
  if (errors.length > 0)
    throw new CommandError(
      `the input is neither journal export format nor JSON: ${errors[0]} (save entries with journalctl -o export or -o json)`,
    );
  return out;
}
