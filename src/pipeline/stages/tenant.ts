// PLACEHOLDER: the `tenant` stage is being written.

import type { StageDefinition } from '../stage.js';

export const tenantStage: StageDefinition = {
  type: 'tenant',
  create(options) {
    return options.fail('the tenant stage is not implemented yet');
  },
};
