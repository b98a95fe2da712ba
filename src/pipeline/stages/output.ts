// PLACEHOLDER: the `output` stage is being written.

import type { StageDefinition } from '../stage.js';

export const outputStage: StageDefinition = {
  type: 'output',
  create(options) {
    return options.fail('the output stage is not implemented yet');
  },
};
