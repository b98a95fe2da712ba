// The `regex` stage: matches an RE2 expression against the line (or an extracted value) and sets
// one extracted value per named group, as Promtail does: the leftmost match, a group that took no
// part gives "", unnamed groups are ignored, no match changes nothing.

import type { Regex } from '../../regex/regex.js';
import type { Entry } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { compileStageRegex, stageInput, stageSource } from './util.js';

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
    options.ignoreUnknownKeys(['expression', 'source']);
    const regex = compileStageRegex(options);
    const source = stageSource(options, 'empty source');
    return new RegexStage(regex, source);
  },
};
