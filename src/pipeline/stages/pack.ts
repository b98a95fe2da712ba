// PLACEHOLDER: the `pack` stage is being written.

import type { StageDefinition } from '../stage.js';

export const packStage: StageDefinition = {
  type: 'pack',
  create(options) {
    return options.fail('the pack stage is not implemented yet');
  },
};
