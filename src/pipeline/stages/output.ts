// The `output` stage: replaces the log line with an extracted value, as Promtail's output
// stage. A missing source, or a value with no string form (null, object, array), leaves the
// line as it is; numbers and booleans become strings as Promtail's getString makes them.

import { extractedToString } from '../extracted.js';
import type { StageDefinition } from '../stage.js';

export const outputStage: StageDefinition = {
  type: 'output',
  create(options) {
    if (options.missing) options.fail('output stage config cannot be empty');
    options.ignoreUnknownKeys(['source']);
    const sourceNode = options.get('source');
    const source = sourceNode.string('');
    if (source === '') sourceNode.fail('output source value is required if output is specified');
    return {
      type: 'output',
      process(entry, out) {
        if (Object.hasOwn(entry.extracted, source)) {
          const line = extractedToString(entry.extracted[source]);
          if (line !== undefined) entry.line = line;
        }
        out.emit(entry);
      },
    };
  },
};
