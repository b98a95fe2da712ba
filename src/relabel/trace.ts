// Relabeling step by step, for the dry-run tools (`logferry targets --explain`, /service-discovery):
// the labels before and after each rule, and which rule dropped a target. Every step is computed
// by replaying `relabel` over a prefix of the rules, so the trace can never disagree with what
// the agent does (the builder's label order, which labelmap depends on, stays inside relabel.ts).

import type { LabelSet } from '../types.js';
import { type RelabelRule, relabel } from './relabel.js';

export type StepEffect = 'changed' | 'unchanged' | 'dropped';

export interface RelabelStep {
  /** Position of the rule in its job's `relabel_configs`, from 0. */
  index: number;
  rule: RelabelRule;
  before: LabelSet;
  /** Null when this rule dropped the target. */
  after: LabelSet | null;
  effect: StepEffect;
}

export interface RelabelTrace {
  steps: RelabelStep[];
  /** The labels after every rule, or null when a rule dropped the target. */
  result: LabelSet | null;
  /** The step that dropped the target, if one did. */
  droppedBy?: RelabelStep;
}

/** Every step of relabeling `labels`; stops at the rule that drops the target. */
export function traceRelabel(labels: LabelSet, rules: readonly RelabelRule[]): RelabelTrace {
  const steps: RelabelStep[] = [];
  let before = labels;
  for (let i = 0; i < rules.length; i++) {
    const after = relabel(labels, rules.slice(0, i + 1));
    const effect: StepEffect =
      after === null ? 'dropped' : sameLabels(before, after) ? 'unchanged' : 'changed';
    const step: RelabelStep = { index: i, rule: rules[i]!, before, after, effect };
    steps.push(step);
    if (after === null) return { steps, result: null, droppedBy: step };
    before = after;
  }
  return { steps, result: before };
}

/**
 * The rule that drops `labels`, with the labels it saw; undefined when none does. Once a prefix
 * of the rules drops a target every longer one does too, so a binary search finds the first.
 */
export function findDroppingRule(
  labels: LabelSet,
  rules: readonly RelabelRule[],
): { index: number; rule: RelabelRule; labels: LabelSet } | undefined {
  if (relabel(labels, rules) !== null) return undefined;
  let lo = 0;
  let hi = rules.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (relabel(labels, rules.slice(0, mid + 1)) === null) hi = mid;
    else lo = mid + 1;
  }
  const seen = lo === 0 ? labels : relabel(labels, rules.slice(0, lo));
  return { index: lo, rule: rules[lo]!, labels: seen ?? labels };
}

export interface LabelDiff {
  added: LabelSet;
  removed: LabelSet;
  /** Name → [before, after]. */
  changed: Record<string, [string, string]>;
}

/** What changed from `before` to `after`, by label name. */
export function diffLabels(before: LabelSet, after: LabelSet): LabelDiff {
  const diff: LabelDiff = { added: {}, removed: {}, changed: {} };
  for (const name of Object.keys(after).sort()) {
    if (!Object.hasOwn(before, name)) diff.added[name] = after[name]!;
    else if (before[name] !== after[name]) diff.changed[name] = [before[name]!, after[name]!];
  }
  for (const name of Object.keys(before).sort()) {
    if (!Object.hasOwn(after, name)) diff.removed[name] = before[name]!;
  }
  return diff;
}

function sameLabels(a: LabelSet, b: LabelSet): boolean {
  if (a === b) return true;
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const n of names) if (!Object.hasOwn(b, n) || a[n] !== b[n]) return false;
  return true;
}
