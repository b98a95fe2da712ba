// PLACEHOLDER: the `logfmt` stage is being written.

import type { StageDefinition } from '../stage.js';

export const logfmtStage: StageDefinition = {
  type: 'logfmt',
  create(options) {
    return options.fail('the logfmt stage is not implemented yet');
  },
};
