// PLACEHOLDER: the `labeldrop` stage is being written.

import type { StageDefinition } from '../stage.js';

export const labeldropStage: StageDefinition = {
  type: 'labeldrop',
  create(options) {
    return options.fail('the labeldrop stage is not implemented yet');
  },
};
