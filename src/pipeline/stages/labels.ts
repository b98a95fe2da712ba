// PLACEHOLDER: the `labels` stage is being written.

import type { StageDefinition } from '../stage.js';

export const labelsStage: StageDefinition = {
  type: 'labels',
  create(options) {
    return options.fail('the labels stage is not implemented yet');
  },
};
