// PLACEHOLDER: the `template` stage is being written.

import type { StageDefinition } from '../stage.js';

export const templateStage: StageDefinition = {
  type: 'template',
  create(options) {
    return options.fail('the template stage is not implemented yet');
  },
};
