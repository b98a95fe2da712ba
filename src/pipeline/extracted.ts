// How values in an entry's extracted map become strings (labels, output, templates, source fields),
// exactly as Promtail's getString does: a JSON number 125 becomes "125", 1e21 becomes
// "1000000000000000000000", true becomes "true"; nil, objects and arrays have no string form.

import { formatFloatPlain } from '../go/template/strconv.js';

/**
 * The string form of an extracted value, or undefined when Promtail cannot convert it (null,
 * undefined, objects, arrays); stages then skip the value as Promtail does.
 */
export function extractedToString(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatFloatPlain(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}
