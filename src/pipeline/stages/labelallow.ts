// PLACEHOLDER: the `labelallow` stage is being written.

import type { StageDefinition } from '../stage.js';

export const labelallowStage: StageDefinition = {
  type: 'labelallow',
  create(options) {
    return options.fail('the labelallow stage is not implemented yet');
  },
};
