// The `labels` stage: sets stream labels from extracted values, as Promtail's labels stage.
// `labels: {name: source}` reads extracted[source] (extracted[name] when the source is empty),
// converts it to a string as Promtail's getString does, and skips values it cannot convert or
// that are no valid label value.

import type { Entry, LabelSet } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { extractedLabelValue, readLabelMapping } from './util.js';

/** Label sets kept per input label set; beyond that (label values of high cardinality) the cache starts over. */
const maxCachedPerInput = 1024;

/**
 * Sets the labels. Entries of a stream share their label object, and most get the same few
 * values, so the resulting label sets are cached by (input object, values) and shared too: the
 * client then finds each in its route cache instead of formatting a labels string per entry.
 */
class LabelsStage implements Stage {
  readonly type = 'labels';
  private readonly names: string[];
  private readonly sources: string[];
  private readonly byInput = new WeakMap<LabelSet, Map<string, LabelSet>>();
  private lastInput: LabelSet | undefined;
  private lastCache: Map<string, LabelSet> | undefined;

  constructor(mapping: [name: string, source: string][]) {
    this.names = mapping.map(([name]) => name);
    this.sources = mapping.map(([, source]) => source);
  }

  process(entry: Entry, out: StageOutput): void {
    const extracted = entry.extracted;
    const input = entry.labels;
    const names = this.names;
    const sources = this.sources;
    // The values that change a label, as one cache key.
    let key: string | undefined;
    if (names.length === 1) {
      const value = extractedLabelValue(extracted, sources[0]!);
      if (value !== undefined && input[names[0]!] !== value) key = value;
    } else {
      for (let i = 0; i < names.length; i++) {
        const value = extractedLabelValue(extracted, sources[i]!);
        if (value === undefined || input[names[i]!] === value) continue;
        // Length-prefixed, so no two value lists give the same key whatever the values hold.
        key = `${key ?? ''}${i}:${value.length}:${value}`;
      }
    }
    if (key !== undefined) entry.labels = this.labelsFor(input, key, extracted);
    out.emit(entry);
  }

  private labelsFor(input: LabelSet, key: string, extracted: Record<string, unknown>): LabelSet {
    let cache = input === this.lastInput ? this.lastCache : this.byInput.get(input);
    if (cache === undefined) {
      cache = new Map();
      this.byInput.set(input, cache);
    }
    this.lastInput = input;
    this.lastCache = cache;
    let labels = cache.get(key);
    if (labels === undefined) {
      // Label objects are shared between entries of a stream: change a copy.
      labels = { ...input };
      for (let i = 0; i < this.names.length; i++) {
        const value = extractedLabelValue(extracted, this.sources[i]!);
        if (value !== undefined) labels[this.names[i]!] = value;
      }
      if (cache.size >= maxCachedPerInput) cache.clear();
      cache.set(key, labels);
    }
    return labels;
  }
}

export const labelsStage: StageDefinition = {
  type: 'labels',
  create(options) {
    const mapping = readLabelMapping(options, 'label');
    for (const [name, source] of mapping) {
      const why = unboundedName(name) ?? unboundedName(source);
      if (why !== undefined)
        options
          .get(name)
          .warn(
            `label "${name}" takes ${why}, which has a new value on nearly every line: each value is a new Loki stream. Use structured_metadata for it instead`,
            true,
          );
    }
    return new LabelsStage(mapping);
  },
};

/**
 * logferry's cardinality guard: a label whose name says its values are unbounded (ids, hashes,
 * timestamps, addresses) promoted by a labels stage, as many tutorials show with trace_id.
 */
const unboundedNames: [RegExp, string][] = [
  [
    /(^|_)(trace|span|request|req|correlation|session|transaction|tx|message|msg|event|user|order|client)_?id$/i,
    'an id',
  ],
  [/(^|_)(uuid|guid|id)$/i, 'an id'],
  [/(^|_)(hash|sha\d*|md5|checksum|digest|fingerprint|token|nonce)$/i, 'a hash or token'],
  [/(^|_)(timestamp|ts|time|datetime|date|created_at|updated_at)$/i, 'a timestamp'],
  [/(^|_)(ip|ip_?addr(ess)?|client_?ip|remote_?addr|src_?ip|dst_?ip|x_forwarded_for)$/i, 'an IP address'],
  [/(^|_)(duration|latency|elapsed|bytes|size|response_?time)(_ms|_s|_ns)?$/i, 'a measurement'],
  [/(^|_)(url|uri|path|query|email)$/i, 'a free-form value'],
];

function unboundedName(name: string): string | undefined {
  if (name === 'filename') return undefined;
  for (const [re, what] of unboundedNames) if (re.test(name)) return what;
  return undefined;
}
