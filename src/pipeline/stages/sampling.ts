// PLACEHOLDER: the `sampling` stage is being written.

import type { StageDefinition } from '../stage.js';

export const samplingStage: StageDefinition = {
  type: 'sampling',
  create(options) {
    return options.fail('the sampling stage is not implemented yet');
  },
};
