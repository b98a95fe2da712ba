// The `regex` stage: matches an RE2 expression against the line (or an extracted value) and sets
// one extracted value per named group, as Promtail does: the leftmost match, a group that took no
// part gives "", unnamed groups are ignored, no match changes nothing.

import type { ConfigNode } from '../../config/reader.js';
import { Regex, RegexSyntaxError } from '../../regex/regex.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

/** Compiles a stage's `expression` option with Promtail's messages; shared with the replace stage. */
export function compileStageRegex(options: ConfigNode): Regex {
  const node = options.get('expression');
  const expression = node.missing ? '' : node.string();
  if (expression === '') (options.missing ? options : node).fail('expression is required');
  try {
    return Regex.compile(expression);
  } catch (e) {
    if (e instanceof RegexSyntaxError) return node.fail(`could not compile regular expression: ${e.message}`);
    throw e;
  }
}

/** Reads the stage's `source` option: absent means the line, "" is Promtail's "empty source". */
export function stageSource(options: ConfigNode, emptyMessage: string): string | undefined {
  const node = options.get('source');
  const source = node.optionalString();
  if (source === '') node.fail(emptyMessage);
  return source;
}

/** The input of a stage with a `source`: the line, the source's string form, or undefined to skip. */
export function stageInput(entry: Entry, source: string | undefined): string | undefined {
  if (source === undefined) return entry.line;
  const extracted = entry.extracted;
  return Object.hasOwn(extracted, source) ? extractedToString(extracted[source]) : undefined;
}

class RegexStage implements Stage {
  readonly type = 'regex';
  /** [group number, name] of each named group. */
  private readonly named: [number, string][];

  constructor(
    private readonly regex: Regex,
    private readonly source: string | undefined,
  ) {
    this.named = [];
    regex.groupNames.forEach((name, i) => {
      if (i > 0 && name) this.named.push([i, name]);
    });
  }

  process(entry: Entry, out: StageOutput): void {
    const input = stageInput(entry, this.source);
    if (input !== undefined && this.named.length > 0) {
      const m = this.regex.exec(input);
      if (m) {
        const extracted = entry.extracted;
        for (const [i, name] of this.named) extracted[name] = m.groups[i] ?? '';
      }
    }
    out.emit(entry);
  }
}

export const regexStage: StageDefinition = {
  type: 'regex',
  create(options) {
    options.expectKeys(['expression', 'source']);
    const regex = compileStageRegex(options);
    const source = stageSource(options, 'empty source');
    return new RegexStage(regex, source);
  },
};
