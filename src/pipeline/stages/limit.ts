// PLACEHOLDER: the `limit` stage is being written.

import type { StageDefinition } from '../stage.js';

export const limitStage: StageDefinition = {
  type: 'limit',
  create(options) {
    return options.fail('the limit stage is not implemented yet');
  },
};
