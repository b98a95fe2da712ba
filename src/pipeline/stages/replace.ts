// The `replace` stage: for every match of an RE2 expression in the line (or an extracted value),
// replaces each capture group with a Go template rendered with `.Value` (the captured text) and
// the extracted values, then sets named groups to their replacements, exactly as Promtail's
// replace.go does: groups nested in a replaced group are not replaced again, groups without
// capture are never replaced, and a named group gets the replacement of its text in the first match.
// Like Promtail it walks Go's FindAllStringSubmatchIndex (`Regex.execAllIndex`).

import type { ConfigNode } from '../../config/reader.js';
import { type GoMap, GoTemplate, TemplateExecError, TemplateParseError } from '../../go/template/index.js';
import type { Logger } from '../../log.js';
import type { Regex } from '../../regex/regex.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { compileStageRegex, stageInput, stageSource } from './util.js';

class ReplaceStage implements Stage {
  readonly type = 'replace';
  private readonly named: [number, string][] = [];

  constructor(
    private readonly regex: Regex,
    private readonly template: GoTemplate,
    private readonly source: string | undefined,
    private readonly logger: Logger,
  ) {
    regex.groupNames.forEach((name, i) => {
      if (i > 0 && name) this.named.push([i, name]);
    });
  }

  process(entry: Entry, out: StageOutput): void {
    const input = stageInput(entry, this.source);
    if (input !== undefined) this.replace(entry, input);
    out.emit(entry);
  }

  private replace(entry: Entry, input: string): void {
    const matches = this.regex.execAllIndex(input);
    if (matches.length === 0) return;

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
        for (let i = 2; i < m.length; i += 2) {
          const start = m[i]!;
          if (start < 0) continue;
          const end = m[i + 1]!;
          const text = input.slice(start, end);
          td.Value = text;
          const st = this.template.execute(td);
          if (prevEnd === 0 || prevEnd <= start) {
            result += input.slice(prevEnd, start) + st;
            prevEnd = end;
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

    // Go's FindStringSubmatch: a group that did not take part reads as "".
    const first = matches[0]!;
    for (const [i, name] of this.named) {
      const start = first[2 * i]!;
      const v = captured.get(start < 0 ? '' : input.slice(start, first[2 * i + 1]));
      if (v !== undefined) extracted[name] = v;
    }
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
    options.ignoreUnknownKeys(['expression', 'source', 'replace']);
    const regex = compileStageRegex(options);
    const source = stageSource(options, 'empty source in replace stage');
    const template = parseReplaceTemplate(options);
    return new ReplaceStage(
      regex,
      template,
      source,
      ctx.logger.with({ component: 'stage', type: 'replace' }),
    );
  },
};
