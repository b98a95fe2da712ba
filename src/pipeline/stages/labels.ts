// The `labels` stage: sets stream labels from extracted values, as Promtail's labels stage.
// `labels: {name: source}` reads extracted[source] (extracted[name] when the source is empty),
// converts it to a string as Promtail's getString does, and skips values it cannot convert or
// that are no valid label value. Also the home of the label checks the other label stages share.

import type { ConfigNode } from '../../config/reader.js';
import type { LabelSet } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { StageDefinition } from '../stage.js';

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A label name Loki accepts: `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus's classic names; Loki's push
 * API rejects the UTF-8 names newer Prometheus libraries allow).
 */
export function isValidLabelName(name: string): boolean {
  return labelNamePattern.test(name);
}

// A lone surrogate is what invalid UTF-8 becomes in a JS string: Go's LabelValue.IsValid rejects it.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A label value Promtail accepts (valid UTF-8, any content). */
export function isValidLabelValue(value: string): boolean {
  return !loneSurrogate.test(value);
}

/**
 * Reads a `{label name: extracted name}` mapping (labels, structured_metadata): names must be
 * valid label names; an empty or absent source means the label's own name.
 */
export function readLabelMapping(options: ConfigNode, stage: string): [name: string, source: string][] {
  if (options.missing) options.fail(`${stage} stage config cannot be empty`);
  if (!options.isMap())
    options.fail(`${stage} stage config must be a mapping of label names to extracted names`);
  return options.entries().map(([name, node]) => {
    if (!isValidLabelName(name)) node.fail(`invalid label name: ${name}`);
    const source = node.missing ? '' : node.string();
    return [name, source === '' ? name : source];
  });
}

/**
 * The value of extracted[source] as a label value, or undefined when absent, not convertible
 * (null, objects, arrays) or not valid.
 */
export function extractedLabelValue(extracted: Record<string, unknown>, source: string): string | undefined {
  if (!Object.hasOwn(extracted, source)) return undefined;
  const value = extractedToString(extracted[source]);
  return value !== undefined && isValidLabelValue(value) ? value : undefined;
}

export const labelsStage: StageDefinition = {
  type: 'labels',
  create(options) {
    const mapping = readLabelMapping(options, 'label');
    return {
      type: 'labels',
      process(entry, out) {
        let labels: LabelSet | undefined;
        for (const [name, source] of mapping) {
          const value = extractedLabelValue(entry.extracted, source);
          if (value === undefined || (labels ?? entry.labels)[name] === value) continue;
          // Label objects are shared between entries of a stream: change a copy.
          labels ??= { ...entry.labels };
          labels[name] = value;
        }
        if (labels) entry.labels = labels;
        out.emit(entry);
      },
    };
  },
};
