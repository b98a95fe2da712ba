// The `labeldrop` stage: removes the listed labels from every entry, as Promtail's labeldrop.

import type { LabelSet } from '../../types.js';
import type { StageDefinition } from '../stage.js';

export const labeldropStage: StageDefinition = {
  type: 'labeldrop',
  create(options) {
    if (options.missing || (options.isList() && options.list().length === 0))
      options.fail('labeldrop stage config cannot be empty');
    if (!options.isList()) options.fail('labeldrop stage config must be a list of label names');
    const names = options.stringList();
    return {
      type: 'labeldrop',
      process(entry, out) {
        let labels: LabelSet | undefined;
        for (const name of names) {
          if (!Object.hasOwn(labels ?? entry.labels, name)) continue;
          labels ??= { ...entry.labels };
          delete labels[name];
        }
        if (labels) entry.labels = labels;
        out.emit(entry);
      },
    };
  },
};
