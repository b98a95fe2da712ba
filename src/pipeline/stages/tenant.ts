// The `tenant` stage: picks the Loki tenant of an entry, as Promtail's tenant stage. Exactly one
// of `label` (a stream label), `source` (an extracted value) or `value` (a fixed tenant) gives
// the tenant, which goes into the reserved `__tenant_id__` label; the client sends the entry
// under that tenant and removes the label. An empty or missing tenant leaves the entry as it is.

import { ReservedLabels } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { StageDefinition } from '../stage.js';

export const tenantStage: StageDefinition = {
  type: 'tenant',
  create(options) {
    options.ignoreUnknownKeys(['label', 'source', 'value']);
    const label = options.get('label').string('');
    const source = options.get('source').string('');
    const value = options.get('value').string('');
    const set = [label, source, value].filter((s) => s !== '').length;
    if (set === 0) options.fail('label, source or value config are required');
    if (set > 1)
      options.fail(
        'label, source and value are mutually exclusive: you should set source, value or label but not all',
      );
    return {
      type: 'tenant',
      process(entry, out) {
        let tenant: string | undefined = value;
        if (source !== '') {
          tenant = Object.hasOwn(entry.extracted, source)
            ? extractedToString(entry.extracted[source])
            : undefined;
        } else if (label !== '') {
          tenant = entry.labels[label];
        }
        if (tenant && entry.labels[ReservedLabels.tenantId] !== tenant) {
          entry.labels = { ...entry.labels, [ReservedLabels.tenantId]: tenant };
        }
        out.emit(entry);
      },
    };
  },
};
