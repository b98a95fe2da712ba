// The discoverers of a scrape config beyond static_configs: kubernetes_sd_configs, file_sd_configs.

import type { DiscovererFactory } from '../agent.js';

export const createDiscoverers: DiscovererFactory = () => [];
