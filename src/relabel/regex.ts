// RE2-syntax regular expressions, as Go's regexp reads them, that never backtrack catastrophically.
// Every regex in a config (relabel rules, stages, LogQL selectors) is compiled here.
// PLACEHOLDER: the interface below is fixed; the implementation is being written.

import { RE2JS } from 're2js';

/** A pattern RE2 does not accept; the message reads as Go's (`error parsing regexp: ...`). */
export class RegexSyntaxError extends Error {}

export interface RegexMatch {
  /** Byte-agnostic: offsets are JS string indexes of the whole match. */
  index: number;
  end: number;
  /** groups[0] is the whole match; groups[i] is group i, undefined when it did not take part. */
  groups: (string | undefined)[];
}

export class Regex {
  /** Group names by number (index 0 unused; unnamed groups undefined). */
  readonly groupNames: (string | undefined)[];
  private readonly re: RE2JS;

  private constructor(readonly source: string) {
    try {
      this.re = RE2JS.compile(source);
    } catch (e) {
      throw new RegexSyntaxError((e as Error).message);
    }
    this.groupNames = [undefined];
    const names = this.re.namedGroups() as Record<string, number>;
    for (let i = 1; i <= this.re.groupCount(); i++) this.groupNames.push(undefined);
    for (const [name, i] of Object.entries(names)) this.groupNames[i] = name;
  }

  /** Compiles an RE2 pattern; throws RegexSyntaxError. */
  static compile(source: string): Regex {
    return new Regex(source);
  }

  /** Compiles `^(?:source)$`, the way Prometheus anchors relabel regexes. */
  static compileAnchored(source: string): Regex {
    return new Regex(`^(?:${source})$`);
  }

  get groupCount(): number {
    return this.groupNames.length - 1;
  }

  /** True when the pattern matches somewhere in s. */
  test(s: string): boolean {
    return this.re.matcher(s).find();
  }

  /** The leftmost match (Go's FindStringSubmatchIndex), or null. */
  exec(s: string): RegexMatch | null {
    const m = this.re.matcher(s);
    if (!m.find()) return null;
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= this.groupCount; i++) groups.push(m.group(i) ?? undefined);
    return { index: m.start(), end: m.end(), groups };
  }

  /** All non-overlapping matches, as Go's FindAllStringSubmatchIndex(s, -1). */
  execAll(s: string): RegexMatch[] {
    const out: RegexMatch[] = [];
    const m = this.re.matcher(s);
    while (m.find()) {
      const groups: (string | undefined)[] = [];
      for (let i = 0; i <= this.groupCount; i++) groups.push(m.group(i) ?? undefined);
      out.push({ index: m.start(), end: m.end(), groups });
    }
    return out;
  }

  /** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; `$1x` names the group `1x`. */
  expand(template: string, match: RegexMatch): string {
    return template.replace(/\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))/g, (all, _m, braced, bare) => {
      if (all === '$$') return '$';
      const name: string = braced ?? bare;
      if (/^\d+$/.test(name)) return match.groups[Number(name)] ?? '';
      const i = this.groupNames.indexOf(name);
      return i > 0 ? (match.groups[i] ?? '') : '';
    });
  }

  /** Go's ReplaceAllString (template expanded per match). */
  replaceAll(s: string, template: string): string {
    return this.replaceEach(s, (m) => this.expand(template, m));
  }

  /** Go's ReplaceAllLiteralString. */
  replaceAllLiteral(s: string, literal: string): string {
    return this.replaceEach(s, () => literal);
  }

  /** Replaces each match with what `fn` returns. */
  replaceEach(s: string, fn: (m: RegexMatch) => string): string {
    let out = '';
    let last = 0;
    for (const m of this.execAll(s)) {
      out += s.slice(last, m.index) + fn(m);
      last = m.end;
    }
    return out + s.slice(last);
  }
}
