// The `structured_metadata` stage (alias `non_indexed_labels`): attaches Loki structured
// metadata to an entry, as Promtail's stage does. `{name: source}` takes extracted[source]
// (converted as the labels stage converts it), then a stream label named `source`, which it
// moves out of the stream labels so it does not create high-cardinality streams.

import type { LabelSet } from '../../types.js';
import type { StageDefinition } from '../stage.js';
import { extractedLabelValue, readLabelMapping } from './util.js';

export const structuredMetadataStage: StageDefinition = {
  type: 'structured_metadata',
  aliases: ['non_indexed_labels'],
  create(options) {
    const mapping = readLabelMapping(options, 'structured_metadata');
    return {
      type: 'structured_metadata',
      process(entry, out) {
        let metadata: LabelSet | undefined;
        for (const [name, source] of mapping) {
          const value = extractedLabelValue(entry.extracted, source);
          if (value === undefined) continue;
          metadata ??= { ...entry.structuredMetadata };
          metadata[name] = value;
        }
        // Then stream labels by the source name: they move to the metadata (and win over an
        // extracted value of the same name, as they come later in Promtail's list).
        let labels: LabelSet | undefined;
        for (const [name, source] of mapping) {
          if (!Object.hasOwn(entry.labels, source)) continue;
          metadata ??= { ...entry.structuredMetadata };
          metadata[name] = entry.labels[source]!;
          labels ??= { ...entry.labels };
        }
        if (labels) {
          for (const [, source] of mapping) delete labels[source];
          entry.labels = labels;
        }
        if (metadata) entry.structuredMetadata = metadata;
        out.emit(entry);
      },
    };
  },
};
