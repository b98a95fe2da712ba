// Kubernetes label and field selectors (the `selectors` of kubernetes_sd_configs): parsed with the
// grammar of k8s.io/apimachinery so a config with a selector the API server would refuse fails at
// start, naming the key, instead of failing every list request later.

/** A selector that does not parse; the message says where and why. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

export type LabelOperator = 'exists' | 'notexists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}

const namePart = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
function checkLabelKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1 && (prefix === '' || prefix.length > 253 || !dnsSubdomain.test(prefix)))
    throw new SelectorError(`invalid label key "${key}": the prefix must be a DNS subdomain`);
  if (name === '' || name.length > 63 || !namePart.test(name))
    throw new SelectorError(
      `invalid label key "${key}": a name is at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    );
}

function checkLabelValue(value: string): void {
  if (value !== '' && (value.length > 63 || !namePart.test(value)))
    throw new SelectorError(
      `invalid label value "${value}": at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    );
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '>' | '<' };

function lexLabels(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if (c === '!' || c === '=' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !' \t\n\r!=(),<>'.includes(text[j]!)) j++;
    tokens.push({ kind: 'word', text: text.slice(i, j) });
    i = j;
  }
  return tokens;
}

/** Parses a label selector (`app=web,tier!=cache,env in (a,b),!canary,release`). Empty selects all. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = lexLabels(text);
  const out: LabelRequirement[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    const t = peek();
    throw new SelectorError(`${what}, found ${t ? `"${t.text}"` : 'the end'} in label selector "${text}"`);
  };
  const word = (what: string): string => {
    const t = peek();
    if (t?.kind !== 'word') return fail(`expected ${what}`);
    i++;
    return t.text;
  };
  if (tokens.length === 0) return out;
  for (;;) {
    let req: LabelRequirement;
    if (peek()?.text === '!' && peek()?.kind === 'op') {
      i++;
      const key = word('a label key after "!"');
      checkLabelKey(key);
      req = { key, op: 'notexists', values: [] };
    } else {
      const key = word('a label key');
      checkLabelKey(key);
      const t = peek();
      if (t === undefined || t.text === ',') {
        req = { key, op: 'exists', values: [] };
      } else if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=')) {
        i++;
        const next = peek();
        // `key=` selects an empty value.
        const value = next?.kind === 'word' ? word('a value') : '';
        checkLabelValue(value);
        req = { key, op: t.text === '!=' ? '!=' : '=', values: [value] };
      } else if (t.kind === 'op' && (t.text === '>' || t.text === '<')) {
        i++;
        const value = word('an integer');
        if (!/^-?\d+$/.test(value))
          throw new SelectorError(`"${value}" is not an integer in label selector "${text}"`);
        req = { key, op: t.text === '>' ? 'gt' : 'lt', values: [value] };
      } else if (t.kind === 'word' && (t.text === 'in' || t.text === 'notin')) {
        i++;
        if (peek()?.text !== '(') fail('expected "("');
        i++;
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v?.kind === 'word') {
            checkLabelValue(v.text);
            values.push(v.text);
            i++;
          } else values.push('');
          const sep = peek();
          if (sep?.text === ',') {
            i++;
            continue;
          }
          if (sep?.text === ')') {
            i++;
            break;
          }
          fail('expected "," or ")"');
        }
        req = { key, op: t.text, values };
      } else {
        return fail('expected an operator (=, ==, !=, in, notin, >, <)');
      }
    }
    out.push(req);
    if (i === tokens.length) return out;
    if (peek()?.text !== ',') fail('expected ","');
    i++;
  }
}

export function matchesLabelSelector(
  reqs: readonly LabelRequirement[],
  labels: Record<string, string> | undefined | null,
): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.hasOwn(l, r.key);
    const v = has ? l[r.key]! : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/**
 * Parses a field selector (`spec.nodeName=node-1,status.phase!=Failed`). A backslash escapes
 * `,`, `=` and itself, as in apimachinery's fields.ParseSelector.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text.trim() === '') return out;
  for (const term of splitUnescaped(text, ',')) {
    const m = findOperator(term);
    if (!m)
      throw new SelectorError(`invalid field selector term "${term}": expected field=value or field!=value`);
    const field = unescapeField(term.slice(0, m.at)).trim();
    const value = unescapeField(term.slice(m.at + m.op.length));
    if (field === '')
      throw new SelectorError(`invalid field selector term "${term}": the field name is empty`);
    out.push({ field, op: m.op === '!=' ? '!=' : '=', value });
  }
  return out;
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function findOperator(term: string): { at: number; op: '=' | '==' | '!=' } | undefined {
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '!' && term[i + 1] === '=') return { at: i, op: '!=' };
    if (c === '=') return { at: i, op: term[i + 1] === '=' ? '==' : '=' };
  }
  return undefined;
}

function unescapeField(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Escapes a value for use in a field selector. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}
