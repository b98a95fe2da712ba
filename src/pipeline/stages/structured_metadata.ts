// The `structured_metadata` stage (alias `non_indexed_labels`): attaches Loki structured
// metadata to an entry, as Promtail 3.6's stage does. `{name: source}` takes extracted[source]
// (converted as the labels stage converts it), else a stream label named `source`; a stream
// label of that name with the same value leaves the stream labels, so it does not create
// high-cardinality streams (Promtail 2.9 let the label win and always removed it).

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
        let labels: LabelSet | undefined;
        for (const [name, source] of mapping) {
          // Promtail 3.6: the extracted value first, else a stream label of the source's name.
          const label = Object.hasOwn(entry.labels, source) ? entry.labels[source] : undefined;
          const value = extractedLabelValue(entry.extracted, source) ?? label;
          if (value === undefined) continue;
          metadata ??= { ...entry.structuredMetadata };
          metadata[name] = value;
          // The label leaves the stream only when it says the same; a label another stage set to
          // something else stays a label.
          if (label === value) {
            labels ??= { ...entry.labels };
            delete labels[source];
          }
        }
        if (labels) entry.labels = labels;
        if (metadata) entry.structuredMetadata = metadata;
        out.emit(entry);
      },
    };
  },
};
