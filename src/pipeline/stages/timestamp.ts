// PLACEHOLDER: the `timestamp` stage is being written.

import type { StageDefinition } from '../stage.js';

export const timestampStage: StageDefinition = {
  type: 'timestamp',
  create(options) {
    return options.fail('the timestamp stage is not implemented yet');
  },
};
