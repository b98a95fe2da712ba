// PLACEHOLDER: the `metrics` stage is being written.

import type { StageDefinition } from '../stage.js';

export const metricsStage: StageDefinition = {
  type: 'metrics',
  create(options) {
    return options.fail('the metrics stage is not implemented yet');
  },
};
