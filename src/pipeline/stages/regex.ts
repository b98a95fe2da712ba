// PLACEHOLDER: the `regex` stage is being written.

import type { StageDefinition } from '../stage.js';

export const regexStage: StageDefinition = {
  type: 'regex',
  create(options) {
    return options.fail('the regex stage is not implemented yet');
  },
};
