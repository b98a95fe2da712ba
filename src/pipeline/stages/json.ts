// PLACEHOLDER: the `json` stage is being written.

import type { StageDefinition } from '../stage.js';

export const jsonStage: StageDefinition = {
  type: 'json',
  create(options) {
    return options.fail('the json stage is not implemented yet');
  },
};
