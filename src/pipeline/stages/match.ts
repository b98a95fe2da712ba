// The `match` stage: entries whose labels (and line, through line filters) match a LogQL
// selector either go through nested stages (`action: keep`) or are dropped (`action: drop`);
// the others pass on unchanged. What the nested stages pass on continues after the match
// stage, including what they pass on later (a multiline block on its timer).

import type { Logger } from '../../log.js';
import type { Entry, LabelSet } from '../../types.js';
import { LogQLSyntaxError, type LogSelector, parseLogSelector } from '../logql.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

export const matchStage: StageDefinition = {
  type: 'match',
  create(options, ctx) {
    if (options.missing) options.fail('match stage config cannot be empty');
    options.expectKeys(['selector', 'stages', 'action', 'pipeline_name', 'drop_counter_reason']);

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

/** How often a failing nested stage is logged, at most. */
const errorLogInterval = 10_000;

/** The StageOutput of one nested stage: on to the next nested stage, or out of the match stage. */
class NestedLink implements StageOutput {
  next: NestedLink | undefined;
  private current: Entry | undefined;
  private handled = false;
  private lastErrorLog = 0;

  constructor(
    readonly stage: Stage,
    private readonly owner: MatchStage,
  ) {}

  process(entry: Entry): void {
    const outer = this.current;
    const outerHandled = this.handled;
    this.current = entry;
    this.handled = false;
    try {
      this.stage.process(entry, this);
    } catch (err) {
      // As at the top level: a failing stage is logged and the entry passes on as it is.
      const now = Date.now();
      if (now - this.lastErrorLog >= errorLogInterval) {
        this.lastErrorLog = now;
        this.owner.logger.error('nested stage failed on an entry; passing the entry on unchanged', {
          nested: this.stage.type,
          err,
        });
      }
      if (!this.handled) this.emit(entry);
    }
    this.current = outer;
    this.handled = outerHandled;
  }

  emit(entry: Entry): void {
    if (entry === this.current) this.handled = true;
    if (this.next !== undefined) this.next.process(entry);
    else this.owner.out!.emit(entry);
  }

  drop(entry: Entry, reason: string): void {
    if (entry === this.current) this.handled = true;
    this.owner.out!.drop(entry, reason);
  }
}

class MatchStage implements Stage {
  readonly type = 'match';
  /** The match stage's own output, kept for what nested stages pass on later. */
  out: StageOutput | undefined;
  private readonly head: NestedLink | undefined;
  private readonly links: NestedLink[];
  /** Label-matcher results per label set, when a regex makes them worth remembering. */
  private readonly labelCache: WeakMap<LabelSet, boolean> | undefined;

  constructor(
    private readonly selector: LogSelector,
    private readonly stages: Stage[],
    private readonly reason: string,
    readonly logger: Logger,
  ) {
    this.links = stages.map((s) => new NestedLink(s, this));
    for (let i = 0; i < this.links.length - 1; i++) this.links[i]!.next = this.links[i + 1];
    this.head = this.links[0];
    // Label sets are shared per stream and never mutated, so a result per object stays true.
    if (selector.matchers.some((m) => m.type === '=~' || m.type === '!~')) this.labelCache = new WeakMap();
  }

  process(entry: Entry, out: StageOutput): void {
    this.out = out;
    if (!this.matches(entry)) {
      out.emit(entry);
      return;
    }
    if (this.head === undefined) out.drop(entry, this.reason);
    else this.head.process(entry);
  }

  flush(out: StageOutput): void {
    this.out = out;
    for (const link of this.links) link.stage.flush?.(link);
  }

  close(): void {
    for (const s of this.stages) s.close?.();
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
