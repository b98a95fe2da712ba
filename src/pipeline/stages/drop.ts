// PLACEHOLDER: the `drop` stage is being written.

import type { StageDefinition } from '../stage.js';

export const dropStage: StageDefinition = {
  type: 'drop',
  create(options) {
    return options.fail('the drop stage is not implemented yet');
  },
};
