// The `sampling` stage: keeps each entry with probability `rate`, as Promtail does with
// Jaeger's probabilistic sampler: a random 63-bit id (never 0) is kept when it is at most
// rate × 2^63.

import type { ConfigNode } from '../../config/reader.js';
import type { Entry } from '../../types.js';
import type { Stage, StageContext, StageDefinition, StageOutput } from '../stage.js';

/** A uniform random number in [0, 1), as Math.random. */
export type RandomSource = () => number;

const twoTo63 = 2 ** 63;

/** Builds a sampling stage with the given random source (tests pass a fixed sequence). */
export function createSamplingStage(
  options: ConfigNode,
  _ctx: StageContext,
  random: RandomSource = Math.random,
): Stage {
  options.ignoreUnknownKeys(['rate', 'drop_counter_reason']);
  // Promtail reads a missing rate as 0 and drops everything; we require it.
  const rateNode = options.get('rate');
  const rate = rateNode.number();
  if (rate < 0 || rate > 1)
    rateNode.fail(
      `sampling stage failed to parse rate,Sampling Rate must be between 0.0 and 1.0, received ${rate.toFixed(6)}`,
    );
  const reason = options.get('drop_counter_reason').string('') || 'sampling_stage';
  return new SamplingStage(Math.floor(twoTo63 * rate), random, reason);
}

export const samplingStage: StageDefinition = {
  type: 'sampling',
  create: (options, ctx) => createSamplingStage(options, ctx),
};

class SamplingStage implements Stage {
  readonly type = 'sampling';

  constructor(
    /** Go's uint64(float64(maxInt63) × rate); float precision is far below any sampling rate's. */
    private readonly boundary: number,
    private readonly random: RandomSource,
    private readonly reason: string,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    if (this.sampled()) out.emit(entry);
    else out.drop(entry, this.reason);
  }

  private sampled(): boolean {
    let id = 0;
    while (id === 0) id = Math.floor(this.random() * twoTo63);
    return this.boundary >= id;
  }
}
