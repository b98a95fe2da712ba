// PLACEHOLDER: the `cri` stage is being written.

import type { StageDefinition } from '../stage.js';

export const criStage: StageDefinition = {
  type: 'cri',
  create(options) {
    return options.fail('the cri stage is not implemented yet');
  },
};
