// The `replace` stage: for every match of an RE2 expression in the line (or an extracted value),
// replaces each capture group with a Go template rendered with `.Value` (the captured text) and
// the extracted values, then sets named groups to their replacements, exactly as Promtail's
// replace.go does: groups nested in a replaced group are not replaced again, groups without
// capture are never replaced, and a named group gets the replacement of its text in the first match.
//
// Promtail walks Go's FindAllStringSubmatchIndex, which gives each group's offsets. The Regex API
// gives group texts only, so the expression is compiled a second time with every piece between
// capture groups wrapped in a capture group of its own (which changes neither the match nor any
// submatch): each original group's offset is then the sum of the lengths before it.

import type { ConfigNode } from '../../config/reader.js';
import type { Logger } from '../../log.js';
import { Regex, type RegexMatch } from '../../relabel/regex.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import { type GoMap, GoTemplate, TemplateExecError, TemplateParseError } from '../gotemplate/index.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { compileStageRegex, stageInput, stageSource } from './regex.js';

// ---- the expression's structure, as far as offsets need it --------------------------------------

type Alt = Piece[][];
type Piece =
  | { t: 'raw'; text: string }
  | { t: 'flags'; text: string }
  | { t: 'group'; capture: number; open: string; body: Alt; quant: string };

function hasCapture(p: Piece): boolean {
  return p.t === 'group' && (p.capture > 0 || p.body.some((c) => c.some(hasCapture)));
}

/** Splits an RE2 pattern (already known to compile) into alternations, pieces and groups. */
function parsePattern(src: string): Alt {
  let i = 0;
  let captures = 0;

  const alt = (): Alt => {
    const branches = [concat()];
    while (src[i] === '|') {
      i++;
      branches.push(concat());
    }
    return branches;
  };

  const escapeLen = (at: number): number => {
    const c = src[at + 1];
    if (c === undefined) return 1;
    if (c === 'p' || c === 'P' || c === 'x') {
      if (src[at + 2] === '{') return src.indexOf('}', at) - at + 1;
      return c === 'x' ? 4 : 3;
    }
    if (c >= '0' && c <= '7') {
      let n = 2;
      while (n < 4 && src[at + n]! >= '0' && src[at + n]! <= '7') n++;
      return n;
    }
    return 1 + String.fromCodePoint(src.codePointAt(at + 1)!).length;
  };

  const quantifier = (): string => {
    const start = i;
    const c = src[i];
    if (c === '*' || c === '+' || c === '?') i++;
    else if (c === '{') {
      const m = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
      if (!m) return '';
      i += m[0].length;
    } else return '';
    if (src[i] === '?') i++;
    return src.slice(start, i);
  };

  const concat = (): Piece[] => {
    const pieces: Piece[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      const start = i;
      const c = src[i]!;
      if (c === '(') {
        let open: string;
        let capture = 0;
        const named = /^\(\?P?<[^>]*>/.exec(src.slice(i));
        const flags = /^\(\?[imsU-]*\)/.exec(src.slice(i));
        const nonCapture = /^\(\?[imsU-]*:/.exec(src.slice(i));
        if (flags) {
          i += flags[0].length;
          pieces.push({ t: 'flags', text: flags[0] });
          continue;
        }
        if (named) {
          open = '(';
          capture = ++captures;
          i += named[0].length;
        } else if (nonCapture) {
          open = nonCapture[0];
          i += open.length;
        } else {
          open = '(';
          capture = ++captures;
          i++;
        }
        const body = alt();
        i++; // ')'
        const quant = quantifier();
        const piece: Piece = { t: 'group', capture, open, body, quant };
        pieces.push(hasCapture(piece) ? piece : { t: 'raw', text: src.slice(start, i) });
        continue;
      }
      if (c === '\\' && src[i + 1] === 'Q') {
        // Literal text: each character is its own atom (a quantifier after \E takes the last one).
        const end = src.indexOf('\\E', i + 2);
        const text = src.slice(i + 2, end < 0 ? src.length : end);
        i = end < 0 ? src.length : end + 2;
        const chars = [...text];
        for (let k = 0; k < chars.length; k++) {
          const ch = chars[k]!;
          const lit = /[\p{L}\p{N}_ ]/u.test(ch) || ch.codePointAt(0)! > 0x7f ? ch : `\\${ch}`;
          pieces.push({ t: 'raw', text: lit + (k === chars.length - 1 ? quantifier() : '') });
        }
        continue;
      }
      if (c === '[') {
        i++;
        if (src[i] === '^') i++;
        if (src[i] === ']') i++;
        while (i < src.length && src[i] !== ']') {
          if (src.startsWith('[:', i)) i = src.indexOf(':]', i) + 2;
          else if (src[i] === '\\') i += escapeLen(i);
          else i++;
        }
        i++;
      } else if (c === '\\') i += escapeLen(i);
      else i += String.fromCodePoint(src.codePointAt(i)!).length;
      quantifier();
      pieces.push({ t: 'raw', text: src.slice(start, i) });
    }
    return pieces;
  };

  return alt();
}

// ---- the augmented pattern and how to read offsets from its groups -----------------------------

type AltPlan = { branches: { wrap: number; items: Item[] }[] };
type Item =
  | { t: 'run'; aug: number }
  | { t: 'cap'; orig: number; aug: number; body: AltPlan }
  | { t: 'qcap'; orig: number; aug: number; wrap: number; body: AltPlan; inner: number[] }
  | { t: 'ncg'; wrap: number; body: AltPlan }
  | { t: 'qncg'; wrap: number; iter: number; body: AltPlan; inner: number[] };

interface Augmented {
  pattern: string;
  plan: AltPlan;
  /** Group number in the augmented pattern of each original group (index 0 unused). */
  augOf: number[];
}

function capturesIn(alt: Alt): number[] {
  const out: number[] = [];
  for (const branch of alt)
    for (const p of branch)
      if (p.t === 'group') {
        if (p.capture > 0) out.push(p.capture);
        out.push(...capturesIn(p.body));
      }
  return out;
}

function augment(src: string): Augmented {
  const root = parsePattern(src);
  let n = 0;
  const augOf: number[] = [0];

  const emitAlt = (alt: Alt): [string, AltPlan] => {
    const plan: AltPlan = { branches: [] };
    const parts = alt.map((branch) => {
      const withCaptures = branch.some(hasCapture);
      if (alt.length > 1 && withCaptures) {
        const wrap = ++n;
        const [text, items] = emitConcat(branch);
        plan.branches.push({ wrap, items });
        return `(${text})`;
      }
      const [text, items] = emitConcat(branch);
      if (withCaptures) plan.branches.push({ wrap: 0, items });
      return text;
    });
    return [parts.join('|'), plan];
  };

  const emitConcat = (pieces: Piece[]): [string, Item[]] => {
    let out = '';
    const items: Item[] = [];
    let run = '';
    const lastCapture = pieces.reduce((last, p, k) => (hasCapture(p) ? k : last), -1);
    const flush = () => {
      if (run === '') return;
      items.push({ t: 'run', aug: ++n });
      out += `(${run})`;
      run = '';
    };
    pieces.forEach((p, k) => {
      if (k > lastCapture) {
        out += run + (p.t === 'group' ? '' : p.text);
        run = '';
        return;
      }
      if (p.t === 'raw') {
        run += p.text;
        return;
      }
      flush();
      if (p.t === 'flags') {
        out += p.text;
        return;
      }
      if (p.capture > 0 && p.quant === '') {
        const aug = ++n;
        augOf[p.capture] = aug;
        const [body, plan] = emitAlt(p.body);
        out += `(${body})`;
        items.push({ t: 'cap', orig: p.capture, aug, body: plan });
      } else if (p.capture > 0) {
        const wrap = ++n;
        const aug = ++n;
        augOf[p.capture] = aug;
        const [body, plan] = emitAlt(p.body);
        out += `((${body})${p.quant})`;
        items.push({ t: 'qcap', orig: p.capture, aug, wrap, body: plan, inner: capturesIn(p.body) });
      } else if (p.quant === '') {
        const wrap = ++n;
        const [body, plan] = emitAlt(p.body);
        out += `(${p.open}${body}))`;
        items.push({ t: 'ncg', wrap, body: plan });
      } else {
        const wrap = ++n;
        const iter = ++n;
        const [body, plan] = emitAlt(p.body);
        out += `(${p.open}(${body}))${p.quant})`;
        items.push({ t: 'qncg', wrap, iter, body: plan, inner: capturesIn(p.body) });
      }
    });
    return [out + run, items];
  };

  const [pattern, plan] = emitAlt(root);
  return { pattern, plan, augOf };
}

/** Offsets [start, end] of each original group in one match of the augmented pattern. */
function groupSpans(
  aug: Augmented,
  input: string,
  m: RegexMatch,
  groupCount: number,
): ([number, number] | undefined)[] {
  const g = m.groups;
  const spans: ([number, number] | undefined)[] = new Array(groupCount + 1).fill(undefined);
  /** Where a capture kept from an earlier iteration of a repetition must lie: [from, before]. */
  const earlier: ([number, number] | undefined)[] = new Array(groupCount + 1);
  const len = (k: number) => g[k]?.length;

  const alt = (plan: AltPlan, start: number, expect: number) => {
    if (plan.branches.length === 1 && plan.branches[0]!.wrap === 0)
      return concat(plan.branches[0]!.items, start);
    // Outside repetitions only one branch takes part; inside, earlier iterations leave their
    // captures, so take the branch whose text is this iteration's.
    const text = input.slice(start, start + expect);
    let chosen = plan.branches.find((b) => b.wrap > 0 && g[b.wrap] === text);
    chosen ??= plan.branches.find((b) => b.wrap === 0 || g[b.wrap] !== undefined);
    if (chosen) concat(chosen.items, start);
  };

  const repeated = (inner: number[], from: number, before: number) => {
    for (const c of inner) earlier[c] ??= [from, before];
  };

  const concat = (items: Item[], start: number) => {
    let pos = start;
    for (const it of items) {
      switch (it.t) {
        case 'run':
          pos += len(it.aug) ?? 0;
          break;
        case 'cap': {
          const l = len(it.aug);
          if (l !== undefined) {
            spans[it.orig] = [pos, pos + l];
            alt(it.body, pos, l);
            pos += l;
          }
          break;
        }
        case 'qcap': {
          const end = pos + (len(it.wrap) ?? 0);
          const l = len(it.aug);
          // The recorded capture is the last iteration, which ends where the repetition ends.
          if (l !== undefined && l <= end - pos) {
            spans[it.orig] = [end - l, end];
            repeated(it.inner, pos, end - l);
            alt(it.body, end - l, l);
          }
          pos = end;
          break;
        }
        case 'ncg': {
          const l = len(it.wrap) ?? 0;
          alt(it.body, pos, l);
          pos += l;
          break;
        }
        case 'qncg': {
          const end = pos + (len(it.wrap) ?? 0);
          const l = len(it.iter);
          if (l !== undefined && l <= end - pos) {
            repeated(it.inner, pos, end - l);
            alt(it.body, end - l, l);
          }
          pos = end;
          break;
        }
      }
    }
  };

  alt(aug.plan, m.index, m.end - m.index);

  // A capture left by an earlier iteration: its latest place before the last iteration.
  for (let i = 1; i <= groupCount; i++) {
    const text = g[aug.augOf[i]!];
    if (text === undefined) {
      spans[i] = undefined;
      continue;
    }
    const span = spans[i];
    if (span && input.slice(span[0], span[1]) === text) continue;
    const bounds = earlier[i] ?? [m.index, m.end];
    let at = input.lastIndexOf(text, bounds[1] - text.length);
    if (at < bounds[0]) at = input.indexOf(text, m.index);
    spans[i] = at < 0 ? undefined : [at, at + text.length];
  }
  return spans;
}

// ---- the stage ---------------------------------------------------------------------------------

class ReplaceStage implements Stage {
  readonly type = 'replace';
  private readonly named: [number, string][] = [];

  constructor(
    private readonly original: Regex,
    private readonly augmented: { regex: Regex; aug: Augmented } | undefined,
    private readonly template: GoTemplate,
    private readonly source: string | undefined,
    private readonly logger: Logger,
  ) {
    original.groupNames.forEach((name, i) => {
      if (i > 0 && name) this.named.push([i, name]);
    });
  }

  process(entry: Entry, out: StageOutput): void {
    const input = stageInput(entry, this.source);
    if (input !== undefined) this.replace(entry, input);
    out.emit(entry);
  }

  private replace(entry: Entry, input: string): void {
    const regex = this.augmented?.regex ?? this.original;
    const matches = regex.execAll(input);
    if (matches.length === 0) return;
    const groupCount = this.original.groupCount;
    const augOf = this.augmented?.aug.augOf;

    const td: GoMap = Object.create(null);
    const extracted = entry.extracted;
    for (const k in extracted) {
      if (!Object.hasOwn(extracted, k)) continue;
      const s = extractedToString(extracted[k]);
      if (s !== undefined) td[k] = s;
    }

    const captured = new Map<string, string>();
    let result = '';
    let prevEnd = 0;
    try {
      for (const m of matches) {
        const spans = this.augmented ? groupSpans(this.augmented.aug, input, m, groupCount) : undefined;
        let searchFrom = m.index;
        for (let i = 1; i <= groupCount; i++) {
          const text = m.groups[augOf ? augOf[i]! : i];
          if (text === undefined) continue;
          let span = spans?.[i];
          if (!span) {
            // No augmented pattern: the text's first place from the previous group on.
            const at = input.indexOf(text, searchFrom);
            span = [at < 0 ? m.index : at, (at < 0 ? m.index : at) + text.length];
          }
          searchFrom = span[0];
          td.Value = text;
          const st = this.template.execute(td);
          if (prevEnd === 0 || prevEnd <= span[0]) {
            result += input.slice(prevEnd, span[0]) + st;
            prevEnd = span[1];
          }
          captured.set(text, st);
        }
      }
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
      this.logger.debug('failed to execute template on extracted value', { err: e.message });
      return;
    }
    result += input.slice(prevEnd);

    if (this.source !== undefined) extracted[this.source] = result;
    else entry.line = result;

    const first = matches[0]!;
    for (const [i, name] of this.named) {
      const v = captured.get(first.groups[augOf ? augOf[i]! : i] ?? '');
      if (v !== undefined) extracted[name] = v;
    }
  }
}

function compileAugmented(original: Regex): { regex: Regex; aug: Augmented } | undefined {
  if (original.groupCount === 0) return undefined;
  try {
    const aug = augment(original.source);
    const regex = Regex.compile(aug.pattern);
    // The structure walk must find every group; otherwise offsets fall back to text search.
    if (aug.augOf.length !== original.groupCount + 1 || aug.augOf.some((a, i) => i > 0 && !(a > 0)))
      return undefined;
    return { regex, aug };
  } catch {
    return undefined;
  }
}

function parseReplaceTemplate(options: ConfigNode): GoTemplate {
  const node = options.get('replace');
  const text = node.missing ? '' : node.string();
  try {
    return GoTemplate.parse('pipeline_template', text);
  } catch (e) {
    if (e instanceof TemplateParseError) return node.fail(`failed to compile template: ${e.message}`);
    throw e;
  }
}

export const replaceStage: StageDefinition = {
  type: 'replace',
  create(options, ctx) {
    options.expectKeys(['expression', 'source', 'replace']);
    const regex = compileStageRegex(options);
    const source = stageSource(options, 'empty source in replace stage');
    const template = parseReplaceTemplate(options);
    return new ReplaceStage(
      regex,
      compileAugmented(regex),
      template,
      source,
      ctx.logger.with({ component: 'stage', type: 'replace' }),
    );
  },
};

/** For tests: the augmented pattern and the offsets it yields for the first match in `input`. */
export function replaceOffsetsForTest(
  expression: string,
  input: string,
): (readonly [number, number] | undefined)[] {
  const original = Regex.compile(expression);
  const a = compileAugmented(original);
  if (!a) throw new Error(`no augmented pattern for ${expression}`);
  const m = a.regex.exec(input);
  if (!m) return [];
  return groupSpans(a.aug, input, m, original.groupCount);
}
