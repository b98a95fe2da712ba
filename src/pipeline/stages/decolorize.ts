// PLACEHOLDER: the `decolorize` stage is being written.

import type { StageDefinition } from '../stage.js';

export const decolorizeStage: StageDefinition = {
  type: 'decolorize',
  create(options) {
    return options.fail('the decolorize stage is not implemented yet');
  },
};
