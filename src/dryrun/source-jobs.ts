// What `logferry targets` shows of a job that reads a journal, syslog or push source: nothing is
// discovered for it, so its one target is the source itself, with the labels its block gives
// every entry and where it reads or listens.

import { formatDuration } from '../config/reader.js';
import type { ScrapeConfig } from '../config/types.js';
import { sourceKeys } from '../targets/kinds.js';
import type { SourceStatus } from '../targets/source.js';
import type { LabelSet } from '../types.js';
import { formatLabelSet, type Palette, sortedLabels } from './common.js';

/** The JSON of a source job in `logferry targets --output json`. */
export interface SourceJson {
  job: string;
  kind: SourceStatus['kind'];
  /** The labels of the block, before relabel_configs (which see the source's `__journal_*`, `__syslog_*` labels too). */
  labels: LabelSet;
  details: Record<string, string | number>;
}

export function describeSourceJob(job: ScrapeConfig): SourceJson | undefined {
  const source = job.source;
  if (!source) return undefined;
  const details: Record<string, string | number> = {};
  switch (source.kind) {
    case 'journal': {
      const c = source.config;
      details.path = c.path ?? '/var/log/journal, /run/log/journal (the system journal)';
      details.max_age = formatDuration(c.maxAgeMs);
      if (c.matches.length) details.matches = c.matches.map((m) => `${m.field}=${m.value}`).join(' ');
      details.line = c.json ? 'the entry as JSON' : 'MESSAGE';
      details.position = `journal cursor under cursor-${job.jobName}`;
      break;
    }
    case 'syslog': {
      const c = source.config;
      details.listen = `${c.listenProtocol} ${c.listenAddress}${c.tls ? (c.tls.caFile ? ' (mutual TLS)' : ' (TLS)') : ''}`;
      details.format = c.syslogFormat;
      details.timestamp = c.useIncomingTimestamp ? 'the message' : 'time of receipt';
      break;
    }
    case 'push': {
      const c = source.config;
      details.listen = `http ${c.httpListenAddress || '*'}:${c.httpListenPort}${c.httpPathPrefix}`;
      details.endpoints = '/loki/api/v1/push, /promtail/api/v1/raw, /ready';
      details.timestamp = c.useIncomingTimestamp ? 'as pushed' : 'time of receipt';
      break;
    }
  }
  return { job: job.jobName, kind: source.kind, labels: sortedLabels(source.config.labels), details };
}

export function renderSourceJob(job: ScrapeConfig, s: SourceJson, p: Palette): string[] {
  const out = [
    `${p.bold(`job ${job.jobName}`)} ${p.dim(`(line ${job.line})`)}: ${sourceKeys[s.kind]} source, no discovery`,
    `  ${p.green('+')} ${p.bold(s.kind)}`,
    `      labels  ${formatLabelSet(s.labels)}${job.relabelConfigs.length ? p.dim(` then ${job.relabelConfigs.length} relabel rule(s) per entry`) : ''}`,
  ];
  const width = Math.max(6, ...Object.keys(s.details).map((k) => k.length));
  for (const [k, v] of Object.entries(s.details)) out.push(`      ${k.padEnd(width)}  ${v}`);
  return out;
}
