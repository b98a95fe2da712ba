// PLACEHOLDER: the `replace` stage is being written.

import type { StageDefinition } from '../stage.js';

export const replaceStage: StageDefinition = {
  type: 'replace',
  create(options) {
    return options.fail('the replace stage is not implemented yet');
  },
};
