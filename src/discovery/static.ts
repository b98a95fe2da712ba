// `static_configs`: fixed targets, one group per static config, as Prometheus builds them
// (a static config without `targets` yields no target, as in Prometheus).

import type { StaticConfig } from '../config/types.js';
import type { TargetGroup } from '../types.js';

export function staticTargetGroups(jobName: string, configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((config, i) => ({
    source: `${jobName}/static/${i}`,
    targets: config.targets.map((address) => ({ __address__: address })),
    labels: config.labels,
  }));
}
