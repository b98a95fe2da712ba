// Prometheus relabeling: one pure function over a label set and a list of rules, with the
// semantics, defaults and validation of Prometheus's model/relabel (which Promtail uses as is).

import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { ConfigNode } from '../config/reader.js';
import { isValidLabelName } from '../labels.js';
import { Regex, RegexSyntaxError } from '../regex/regex.js';

import type { LabelSet } from '../types.js';

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

const actions: readonly RelabelAction[] = [
  'replace',
  'keep',
  'drop',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
  'keepequal',
  'dropequal',
];

const ruleKeys = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'];

const defaultSeparator = ';';
const defaultRegexSource = '(.*)';
const defaultReplacement = '$1';
let defaultRegexCompiled: Regex | undefined;
/** Compiled on first use, after cli.ts has set the V8 regexp flags. */
const defaultRegex = (): Regex => (defaultRegexCompiled ??= Regex.compileAnchored(defaultRegexSource));

/** A target label or labelmap replacement made of name characters and `$1`/`${name}` references. */
let relabelTargetCompiled: Regex | undefined;
const relabelTarget = (): Regex =>
  (relabelTargetCompiled ??= Regex.compile('^(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+$'));

/** Parses and validates a `relabel_configs` list as Prometheus does; throws ConfigError. */
export function parseRelabelRules(list: ConfigNode): RelabelRule[] {
  return list.list().map(parseRule);
}

function parseRule(node: ConfigNode): RelabelRule {
  if (!node.isMap()) node.fail('expected a mapping (a relabel rule)');
  node.expectKeys(ruleKeys);

  const actionNode = node.get('action');
  const actionText = actionNode.string('replace');
  const action = actionText.toLowerCase() as RelabelAction;
  if (!actions.includes(action)) actionNode.fail(`unknown relabel action ${JSON.stringify(actionText)}`);

  const sourceNode = node.get('source_labels');
  const sourceLabels = sourceNode.stringList([]);
  sourceNode.list().forEach((item, i) => {
    const name = sourceLabels[i] as string;
    if (!isValidLabelName(name)) item.fail(`${JSON.stringify(name)} is not a valid label name`);
  });

  const separator = node.get('separator').string(defaultSeparator);

  const regexNode = node.get('regex');
  let regex = defaultRegex();
  if (!regexNode.missing) {
    const source = regexNode.string();
    try {
      regex = Regex.compileAnchored(source);
    } catch (e) {
      if (e instanceof RegexSyntaxError) regexNode.fail(e.message);
      throw e;
    }
  }

  const modulusNode = node.get('modulus');
  const modulus = modulusNode.integer(0);
  if (modulus < 0) modulusNode.fail(`must not be negative, got ${modulus}`);
  if (!Number.isSafeInteger(modulus)) modulusNode.fail(`must be at most ${Number.MAX_SAFE_INTEGER}`);

  const targetNode = node.get('target_label');
  const targetLabel = targetNode.string('');
  const replacementNode = node.get('replacement');
  const replacement = replacementNode.string(defaultReplacement);

  // The checks and messages of Prometheus's Config.Validate, in its order.
  if (modulus === 0 && action === 'hashmod')
    modulusNode.fail('relabel configuration for hashmod requires non-zero modulus');
  const needsTarget: RelabelAction[] = [
    'replace',
    'hashmod',
    'lowercase',
    'uppercase',
    'keepequal',
    'dropequal',
  ];
  if (needsTarget.includes(action) && targetLabel === '')
    targetNode.fail(`relabel configuration for ${action} action requires 'target_label' value`);
  const invalidTarget = () =>
    targetNode.fail(`${JSON.stringify(targetLabel)} is invalid 'target_label' for ${action} action`);
  if (action === 'replace') {
    const ok = targetLabel.includes('$') ? relabelTarget().test(targetLabel) : isValidLabelName(targetLabel);
    if (!ok) invalidTarget();
  }
  const targetOnly: RelabelAction[] = ['lowercase', 'uppercase', 'keepequal', 'dropequal'];
  if (targetOnly.includes(action)) {
    if (!isValidLabelName(targetLabel)) invalidTarget();
    if (replacement !== defaultReplacement)
      replacementNode.fail(`'replacement' can not be set for ${action} action`);
  }
  if (action === 'labelmap' && !relabelTarget().test(replacement))
    replacementNode.fail(`${JSON.stringify(replacement)} is invalid 'replacement' for ${action} action`);
  if (action === 'hashmod' && !isValidLabelName(targetLabel)) invalidTarget();
  if (action === 'keepequal' || action === 'dropequal') {
    // Prometheus refuses any regex written out, even `(.*)`.
    const extra = [
      !regexNode.missing && regexNode,
      modulus !== 0 && modulusNode,
      separator !== defaultSeparator && node.get('separator'),
      replacement !== defaultReplacement && replacementNode,
    ].find((n): n is ConfigNode => n !== false);
    if (extra)
      extra.fail(`${action} action requires only 'source_labels' and 'target_label', and no other fields`);
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    const extra = [
      !sourceNode.missing && sourceNode,
      targetLabel !== '' && targetNode,
      modulus !== 0 && modulusNode,
      separator !== defaultSeparator && node.get('separator'),
      replacement !== defaultReplacement && replacementNode,
    ].find((n): n is ConfigNode => n !== false);
    if (extra) extra.fail(`${action} action requires only 'regex', and no other fields`);
  }

  return {
    sourceLabels,
    separator,
    regex,
    modulus,
    targetLabel,
    replacement,
    action,
    line: node.line,
    text: stringify(node.toJS(), { flowCollectionPadding: false }).trimEnd(),
  };
}

/**
 * The label set under change, as Prometheus's labels.Builder: the input is never touched, and
 * label-wide actions visit the untouched input labels in name order, then the labels earlier
 * rules set, in the order they were set.
 */
class Builder {
  readonly add = new Map<string, string>();
  readonly del = new Set<string>();

  constructor(readonly base: LabelSet) {}

  get(name: string): string {
    const v = this.add.get(name);
    if (v !== undefined) return v;
    if (this.del.has(name) || !Object.hasOwn(this.base, name)) return '';
    return this.base[name] as string;
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.delete(name);
      return;
    }
    this.del.delete(name);
    this.add.set(name, value);
  }

  delete(name: string): void {
    this.add.delete(name);
    this.del.add(name);
  }

  /** A snapshot of the current labels, in Prometheus's Range order. */
  snapshot(): [string, string][] {
    const out: [string, string][] = [];
    for (const name of Object.keys(this.base).sort()) {
      if (!this.del.has(name) && !this.add.has(name)) out.push([name, this.base[name] as string]);
    }
    for (const entry of this.add) out.push(entry);
    return out;
  }

  changed(): boolean {
    for (const [name, value] of this.add)
      if (this.base[name] !== value || !Object.hasOwn(this.base, name)) return true;
    for (const name of this.del) if (Object.hasOwn(this.base, name)) return true;
    return false;
  }

  result(): LabelSet {
    if (!this.changed()) return this.base;
    const out: LabelSet = {};
    for (const [name, value] of this.snapshot()) setLabel(out, name, value);
    return out;
  }
}

/** Assigns without tripping over a label called `__proto__`. */
function setLabel(o: LabelSet, name: string, value: string): void {
  if (name === '__proto__')
    Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
  else o[name] = value;
}

/** Applies the rules in order; null when a rule dropped the target. */
export function relabel(labels: LabelSet, rules: readonly RelabelRule[]): LabelSet | null {
  if (rules.length === 0) return labels;
  const b = new Builder(labels);
  for (const rule of rules) if (!apply(rule, b)) return null;
  return b.result();
}

function apply(rule: RelabelRule, b: Builder): boolean {
  const values = rule.sourceLabels.map((name) => b.get(name));
  const val = values.join(rule.separator);
  switch (rule.action) {
    case 'drop':
      return !rule.regex.test(val);
    case 'keep':
      return rule.regex.test(val);
    case 'dropequal':
      return b.get(rule.targetLabel) !== val;
    case 'keepequal':
      return b.get(rule.targetLabel) === val;
    case 'replace': {
      const m = rule.regex.exec(val);
      if (m === null) return true;
      const target = rule.regex.expand(rule.targetLabel, m);
      if (!isValidLabelName(target)) return true;
      b.set(target, rule.regex.expand(rule.replacement, m));
      return true;
    }
    case 'lowercase':
      b.set(rule.targetLabel, goToLower(val));
      return true;
    case 'uppercase':
      b.set(rule.targetLabel, goToUpper(val));
      return true;
    case 'hashmod':
      b.set(rule.targetLabel, String(hashmod(val, rule.modulus)));
      return true;
    case 'labelmap':
      for (const [name, value] of b.snapshot()) {
        if (rule.regex.test(name)) {
          const res = rule.regex.replaceAll(name, rule.replacement);
          // Prometheus would set a label with an empty name here; Loki refuses such a stream.
          if (res !== '') b.set(res, value);
        }
      }
      return true;
    case 'labeldrop':
      for (const [name] of b.snapshot()) if (rule.regex.test(name)) b.delete(name);
      return true;
    case 'labelkeep':
      for (const [name] of b.snapshot()) if (!rule.regex.test(name)) b.delete(name);
      return true;
  }
}

/** Prometheus's hashmod: the last 8 bytes of the MD5 of the value, big-endian, modulo `modulus`. */
export function hashmod(value: string, modulus: number): bigint {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return digest.readBigUInt64BE(8) % BigInt(modulus);
}

// Go's strings.ToLower/ToUpper map each code point on its own with Unicode's simple case mapping:
// no SpecialCasing (ß stays ß in upper case, İ becomes i), no final-sigma context.

function goToLower(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  return mapCodePoints(s, lowerCache, simpleLower);
}

function goToUpper(s: string): string {
  if (isAscii(s)) return s.toUpperCase();
  return mapCodePoints(s, upperCache, simpleUpper);
}

const asciiOnly = /^[\x00-\x7f]*$/;
function isAscii(s: string): boolean {
  return asciiOnly.test(s);
}

const lowerCache = new Map<string, string>();
const upperCache = new Map<string, string>();

function mapCodePoints(s: string, cache: Map<string, string>, map: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    let m = cache.get(ch);
    if (m === undefined) {
      m = map(ch);
      cache.set(ch, m);
    }
    out += m;
  }
  return out;
}

function isOneCodePoint(s: string): boolean {
  return s.length === 1 || (s.length === 2 && (s.codePointAt(0) as number) > 0xffff);
}

function simpleLower(ch: string): string {
  const full = ch.toLowerCase();
  if (isOneCodePoint(full)) return full;
  // Only U+0130 (İ) lower-cases to two code points in full; its simple mapping is i.
  return ch === '\u0130' ? 'i' : ch;
}

function simpleUpper(ch: string): string {
  const full = ch.toUpperCase();
  if (isOneCodePoint(full)) return full;
  // Full upper casing expands these; the simple mapping keeps one code point: Greek letters with
  // ypogegrammeni go to their title-case forms, all others (ß, ŉ, ǰ, ligatures...) stay as they are.
  const cp = ch.codePointAt(0) as number;
  if ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7))
    return String.fromCodePoint(cp + 8);
  if (cp === 0x1fb3) return '\u1fbc';
  if (cp === 0x1fc3) return '\u1fcc';
  if (cp === 0x1ff3) return '\u1ffc';
  return ch;
}
