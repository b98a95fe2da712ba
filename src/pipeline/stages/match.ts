// PLACEHOLDER: the `match` stage is being written.

import type { StageDefinition } from '../stage.js';

export const matchStage: StageDefinition = {
  type: 'match',
  create(options) {
    return options.fail('the match stage is not implemented yet');
  },
};
