// PLACEHOLDER: the `structured_metadata` stage is being written.

import type { StageDefinition } from '../stage.js';

export const structuredMetadataStage: StageDefinition = {
  type: 'structured_metadata',
  create(options) {
    return options.fail('the structured_metadata stage is not implemented yet');
  },
};
