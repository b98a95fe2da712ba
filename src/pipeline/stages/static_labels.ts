// PLACEHOLDER: the `static_labels` stage is being written.

import type { StageDefinition } from '../stage.js';

export const staticLabelsStage: StageDefinition = {
  type: 'static_labels',
  create(options) {
    return options.fail('the static_labels stage is not implemented yet');
  },
};
