// PLACEHOLDER: the `multiline` stage is being written.

import type { StageDefinition } from '../stage.js';

export const multilineStage: StageDefinition = {
  type: 'multiline',
  create(options) {
    return options.fail('the multiline stage is not implemented yet');
  },
};
