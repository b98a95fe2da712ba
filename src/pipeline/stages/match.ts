// The `match` stage: entries whose labels (and line, through line filters) match a LogQL
// selector either go through nested stages (`action: keep`) or are dropped (`action: drop`);
// the others pass on unchanged. What the nested stages pass on continues after the match
// stage, including what they pass on later (a multiline block on its timer).

import type { Logger } from '../../log.js';
import type { Entry, LabelSet } from '../../types.js';
import { type ChainEnd, StageChain } from '../chain.js';
import { LogQLSyntaxError, type LogSelector, parseLogSelector } from '../logql.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

export const matchStage: StageDefinition = {
  type: 'match',
  create(options, ctx) {
    if (options.missing) options.fail('match stage config cannot be empty');
    options.ignoreUnknownKeys(['selector', 'stages', 'action', 'pipeline_name', 'drop_counter_reason']);

    const nameNode = options.get('pipeline_name');
    const pipelineName = nameNode.optionalString();
    if (pipelineName === '')
      nameNode.fail('match stage pipeline name can be omitted but cannot be an empty string');

    const selectorNode = options.get('selector');
    const selectorText = selectorNode.string('');
    if (selectorText === '') selectorNode.fail('selector statement required for match stage');

    const actionNode = options.get('action');
    const action = actionNode.string('') || 'keep';
    if (action !== 'keep' && action !== 'drop')
      actionNode.fail("match stage action should be 'keep' or 'drop'");

    const stagesNode = options.get('stages');
    if (!stagesNode.missing && !stagesNode.isList()) stagesNode.fail('expected a list of stages');
    const stageCount = stagesNode.list().length;
    if (action === 'keep' && stageCount === 0)
      (stagesNode.missing ? options : stagesNode).fail(
        "match stage requires at least one additional stage to be defined in '- stages'",
      );
    if (action === 'drop' && stageCount !== 0)
      stagesNode.fail('match stage configured to drop entries cannot contains stages');

    let selector: LogSelector;
    try {
      selector = parseLogSelector(selectorText);
    } catch (e) {
      if (!(e instanceof LogQLSyntaxError)) throw e;
      return selectorNode.fail(`invalid selector syntax for match stage: ${e.message}`);
    }

    const reason = options.get('drop_counter_reason').string('') || 'match_stage';
    if (action === 'drop') return new MatchStage(selector, [], reason, ctx.logger);
    // Promtail names a nested pipeline `<job>_<pipeline_name>`.
    const nestedCtx =
      pipelineName === undefined ? ctx : { ...ctx, jobName: `${ctx.jobName}_${pipelineName}` };
    const nested = ctx.buildStages(stagesNode, nestedCtx);
    return new MatchStage(
      selector,
      nested,
      reason,
      ctx.logger.with({ stage: 'match', selector: selectorText }),
    );
  },
};

class MatchStage implements Stage, ChainEnd {
  readonly type = 'match';
  /** The match stage's own output, kept for what nested stages pass on later. */
  private out: StageOutput | undefined;
  private readonly chain: StageChain;
  /** Label-matcher results per label set, when a regex makes them worth remembering. */
  private readonly labelCache: WeakMap<LabelSet, boolean> | undefined;

  constructor(
    private readonly selector: LogSelector,
    stages: Stage[],
    private readonly reason: string,
    logger: Logger,
  ) {
    this.chain = new StageChain(stages, this, logger);
    // Label sets are shared per stream and never mutated, so a result per object stays true.
    if (selector.matchers.some((m) => m.type === '=~' || m.type === '!~')) this.labelCache = new WeakMap();
  }

  process(entry: Entry, out: StageOutput): void {
    this.out = out;
    if (!this.matches(entry)) {
      out.emit(entry);
      return;
    }
    if (this.chain.stages.length === 0) {
      out.drop(entry, this.reason);
      return;
    }
    // As Promtail: the nested stages are a pipeline of their own, which starts by copying the
    // entry's labels (as they are now) into the extracted values, over values of the same name.
    const labels = entry.labels;
    const extracted = entry.extracted;
    for (const name in labels) extracted[name] = labels[name];
    this.chain.process(entry);
  }

  flush(out: StageOutput): void {
    this.out = out;
    this.chain.flush();
  }

  close(): void {
    this.chain.close();
  }

  /** What the nested stages pass on continues after the match stage. */
  emit(entry: Entry): void {
    this.out!.emit(entry);
  }

  drop(entry: Entry, reason: string): void {
    this.out!.drop(entry, reason);
  }

  private matches(entry: Entry): boolean {
    const labels = entry.labels;
    let ok: boolean | undefined;
    if (this.labelCache === undefined) {
      ok = this.selector.matchesLabels(labels);
    } else {
      ok = this.labelCache.get(labels);
      if (ok === undefined) {
        ok = this.selector.matchesLabels(labels);
        this.labelCache.set(labels, ok);
      }
    }
    return ok && this.selector.matchesLine(entry.line);
  }
}
