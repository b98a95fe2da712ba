// Prometheus relabeling: one pure function over a label set and a list of rules.
// PLACEHOLDER: the types below are fixed; the implementation is being written.

import type { ConfigNode } from '../config/reader.js';
import type { LabelSet } from '../types.js';
import type { Regex } from './regex.js';

export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase'
  | 'keepequal'
  | 'dropequal';

export interface RelabelRule {
  sourceLabels: string[];
  separator: string;
  regex: Regex;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
  /** Where the rule stands in the YAML, for the dry-run tools. */
  line: number;
  /** The rule as written (its YAML text), for the dry-run tools. */
  text: string;
}

/** Parses and validates a `relabel_configs` list as Prometheus does; throws ConfigError. */
export function parseRelabelRules(_list: ConfigNode): RelabelRule[] {
  throw new Error('not implemented');
}

/** Applies the rules in order; null when a rule dropped the target. */
export function relabel(_labels: LabelSet, _rules: readonly RelabelRule[]): LabelSet | null {
  throw new Error('not implemented');
}
