// The `journal:` block of a scrape config, with Promtail's keys and defaults.

import type { ConfigNode } from '../../config/reader.js';
import type { LabelSet } from '../../types.js';

/** One `FIELD=value` term of `matches`. */
export interface JournalMatch {
  field: string;
  value: string;
}

export interface JournalConfig {
  /** `json`: the line is the whole entry as JSON instead of its MESSAGE. Default false. */
  json: boolean;
  /** `max_age` in ms: the oldest entry read when there is no usable saved cursor. Default 7h. */
  maxAgeMs: number;
  /** `path`: a journal directory; undefined reads the system journal (/var/log/journal, /run/log/journal). */
  path?: string;
  /** `matches`, parsed: terms on the same field are ORed, different fields ANDed (journalctl's rule). */
  matches: JournalMatch[];
  /** `labels`: added to every entry before relabeling. */
  labels: LabelSet;
}

const keys = ['json', 'max_age', 'path', 'matches', 'labels'] as const;

/** Promtail's default `max_age`. */
export const defaultMaxAgeMs = 7 * 60 * 60 * 1000;

/** Journal field names as sd_journal_add_match() accepts them: A-Z, 0-9 and _, not starting with a digit. */
const fieldName = /^[A-Z_][A-Z0-9_]*$/;

export function parseJournalConfig(node: ConfigNode): JournalConfig {
  node.expectKeys(keys);
  const maxAgeNode = node.get('max_age');
  const maxAgeText = maxAgeNode.missing ? '' : maxAgeNode.string().trim();
  const maxAgeMs = maxAgeText === '' ? defaultMaxAgeMs : maxAgeNode.duration();
  if (!(maxAgeMs > 0)) maxAgeNode.fail(`max_age must be positive, got "${maxAgeText}"`);
  const pathNode = node.get('path');
  const path = pathNode.missing ? undefined : pathNode.string().trim() || undefined;
  const matchesNode = node.get('matches');
  const matches = parseMatches(matchesNode.missing ? '' : matchesNode.string(), (reason) =>
    matchesNode.fail(reason),
  );
  const labelsNode = node.get('labels');
  return {
    json: node.get('json').boolean(false),
    maxAgeMs,
    path,
    matches,
    labels: labelsNode.stringMap({}),
  };
}

/**
 * `matches` as Promtail reads it: space-separated `FIELD=value` terms, each with exactly one `=`
 * (Promtail refuses the job otherwise, and so do we, with the term named).
 */
export function parseMatches(text: string, fail: (reason: string) => never): JournalMatch[] {
  const out: JournalMatch[] = [];
  for (const term of text.split(/\s+/)) {
    if (term === '') continue;
    const parts = term.split('=');
    if (parts.length !== 2)
      fail(`error parsing journal reader 'matches' config value: "${term}" is not FIELD=value`);
    const [field, value] = parts as [string, string];
    if (!fieldName.test(field) || field.length > 64)
      fail(
        `invalid journal field name "${field}" in matches (use A-Z, 0-9 and _, e.g. _SYSTEMD_UNIT=ssh.service)`,
      );
    out.push({ field, value });
  }
  return out;
}
