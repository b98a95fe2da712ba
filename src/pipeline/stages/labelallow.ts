// The `labelallow` stage: keeps only the listed labels on every entry, as Promtail's labelallow.

import type { LabelSet } from '../../types.js';
import type { StageDefinition } from '../stage.js';

export const labelallowStage: StageDefinition = {
  type: 'labelallow',
  create(options) {
    if (options.missing || (options.isList() && options.list().length === 0))
      options.fail('labelallow stage config cannot be empty');
    if (!options.isList()) options.fail('labelallow stage config must be a list of label names');
    const allowed = new Set(options.stringList());
    return {
      type: 'labelallow',
      process(entry, out) {
        let changed = false;
        for (const name in entry.labels) {
          if (!allowed.has(name)) {
            changed = true;
            break;
          }
        }
        if (changed) {
          const labels: LabelSet = {};
          for (const name in entry.labels) if (allowed.has(name)) labels[name] = entry.labels[name]!;
          entry.labels = labels;
        }
        out.emit(entry);
      },
    };
  },
};
