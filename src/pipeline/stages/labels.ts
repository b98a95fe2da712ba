// The `labels` stage: sets stream labels from extracted values, as Promtail's labels stage.
// `labels: {name: source}` reads extracted[source] (extracted[name] when the source is empty),
// converts it to a string as Promtail's getString does, and skips values it cannot convert or
// that are no valid label value.

import type { Entry, LabelSet } from '../../types.js';
import { unboundedName } from '../cardinality.js';
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
    // The cardinality guard's first half: the names (the values are sampled by the dry-run tools).
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
