// The source kinds a scrape config can name besides files (`journal:`, `syslog:`,
// `loki_push_api:`): which key configures each, how its block is parsed, how its Source is built.
// The config loader and the agent know the kinds only through this table, so adding a kind is a
// folder under targets/ plus a row here.

import type { ConfigNode } from '../config/reader.js';
import type { InFlightBudget } from '../positions/acks.js';
import { type JournalConfig, parseJournalConfig } from './journal/config.js';
import { JournalTarget } from './journal/journal-target.js';
import { type PushConfig, parsePushConfig } from './push/config.js';
import { PushTarget } from './push/push-target.js';
import type { Source, SourceContext, SourceStatus } from './source.js';
import { parseSyslogConfig, type SyslogConfig } from './syslog/config.js';
import { SyslogTarget } from './syslog/syslog-target.js';

/** A scrape config's source block, parsed: which kind, and its own config. */
export type SourceConfig =
  | { kind: 'journal'; config: JournalConfig }
  | { kind: 'syslog'; config: SyslogConfig }
  | { kind: 'push'; config: PushConfig };

export type SourceKind = SourceStatus['kind'];

/** The scrape config key of each kind, Promtail's, in Promtail's order of precedence. */
export const sourceKeys: Readonly<Record<SourceKind, string>> = {
  journal: 'journal',
  syslog: 'syslog',
  push: 'loki_push_api',
};

/** The source block of a scrape config (a map node under one of `sourceKeys`), parsed. */
export function parseSourceConfig(kind: SourceKind, node: ConfigNode): SourceConfig {
  switch (kind) {
    case 'journal':
      return { kind, config: parseJournalConfig(node) };
    case 'syslog':
      return { kind, config: parseSyslogConfig(node) };
    case 'push':
      return { kind, config: parsePushConfig(node) };
  }
}

/** Builds the Source of a parsed block; every kind shares the agent's in-flight budget. */
export function createSource(source: SourceConfig, ctx: SourceContext, budget: InFlightBudget): Source {
  switch (source.kind) {
    case 'journal':
      return new JournalTarget(source.config, ctx, budget);
    case 'syslog':
      return new SyslogTarget(source.config, ctx, budget);
    case 'push':
      return new PushTarget(source.config, ctx, budget);
  }
}

/** The labels a source's block gives every entry, before relabeling (for the dry-run tools). */
export function sourceLabels(source: SourceConfig): Record<string, string> {
  return { ...source.config.labels };
}
