// The `static_labels` stage: adds fixed labels to every entry, as Promtail's static_labels
// stage. A label with an empty value is not set (Promtail skips it).

import { isValidLabelName, isValidLabelValue } from '../../labels.js';
import type { LabelSet } from '../../types.js';
import type { StageDefinition } from '../stage.js';

export const staticLabelsStage: StageDefinition = {
  type: 'static_labels',
  create(options) {
    if (options.missing) options.fail('static_labels stage config cannot be empty');
    if (!options.isMap())
      options.fail('static_labels stage config must be a mapping of label names to values');
    const add: [string, string][] = [];
    for (const [name, node] of options.entries()) {
      if (!isValidLabelName(name)) node.fail(`invalid label name: ${name}`);
      const value = node.missing ? '' : node.string();
      if (value !== '' && isValidLabelValue(value)) add.push([name, value]);
    }
    return {
      type: 'static_labels',
      process(entry, out) {
        let labels: LabelSet | undefined;
        for (const [name, value] of add) {
          if ((labels ?? entry.labels)[name] === value) continue;
          labels ??= { ...entry.labels };
          labels[name] = value;
        }
        if (labels) entry.labels = labels;
        out.emit(entry);
      },
    };
  },
};
