// PLACEHOLDER: the `docker` stage is being written.

import type { StageDefinition } from '../stage.js';

export const dockerStage: StageDefinition = {
  type: 'docker',
  create(options) {
    return options.fail('the docker stage is not implemented yet');
  },
};
