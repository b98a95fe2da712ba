// The `template` stage: renders a Go template and stores the result under `source` in the
// extracted values, as Promtail does. The template sees every extracted value that has a string
// form by name, `.Value` (the source's current value) and `.Entry` (the line); an empty result
// removes the source key; a template that fails to execute leaves the entry as it was.

import { type GoMap, GoTemplate, TemplateExecError, TemplateParseError } from '../../go/template/index.js';
import type { Logger } from '../../log.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

class TemplateStage implements Stage {
  readonly type = 'template';

  constructor(
    private readonly source: string,
    private readonly template: GoTemplate,
    private readonly logger: Logger,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    const extracted = entry.extracted;
    // A prototype-less object: extracted names such as `constructor` stay plain keys.
    const td: GoMap = Object.create(null);
    for (const k in extracted) {
      if (!Object.hasOwn(extracted, k)) continue;
      const s = extractedToString(extracted[k]);
      if (s !== undefined) td[k] = s;
    }
    const value = Object.hasOwn(extracted, this.source)
      ? extractedToString(extracted[this.source])
      : undefined;
    if (value !== undefined) td.Value = value;
    td.Entry = entry.line;

    let st: string;
    try {
      st = this.template.execute(td);
    } catch (e) {
      if (!(e instanceof TemplateExecError)) throw e;
      this.logger.debug('failed to execute template on extracted value', { err: e.message });
      out.emit(entry);
      return;
    }
    if (st === '') delete extracted[this.source];
    else extracted[this.source] = st;
    out.emit(entry);
  }
}

export const templateStage: StageDefinition = {
  type: 'template',
  create(options, ctx) {
    options.ignoreUnknownKeys(['source', 'template']);
    const sourceNode = options.get('source');
    const source = sourceNode.missing ? '' : sourceNode.string();
    if (source === '') (options.missing ? options : sourceNode).fail('template source value is required');
    const templateNode = options.get('template');
    const text = templateNode.missing ? '' : templateNode.string();
    let template: GoTemplate;
    try {
      template = GoTemplate.parse('pipeline_template', text);
    } catch (e) {
      if (e instanceof TemplateParseError) return templateNode.fail(e.message);
      throw e;
    }
    return new TemplateStage(source, template, ctx.logger.with({ component: 'stage', type: 'template' }));
  },
};
