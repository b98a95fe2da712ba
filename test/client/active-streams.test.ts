// The active streams tracker (logferry_active_streams{job}): distinct label sets per job, expiry
// after 30 idle minutes on the tracker's one timer (node:test mock timers), series removed for a
// job gone in a reload, and the bound on tracked streams.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import {
  ActiveStreams,
  maxTrackedStreams,
  streamIdleMs,
  sweepIntervalMs,
} from '../../src/client/active-streams.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { captureLogger } from './helpers.js';

async function gauge(metrics: Metrics): Promise<Map<string, number>> {
  const data = await metrics.activeStreams.get();
  return new Map(data.values.map((v) => [String(v.labels.job), v.value]));
}

const minute = 60_000;

describe('ActiveStreams', () => {
  let metrics: Metrics;
  let streams: ActiveStreams;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval'] });
    metrics = createMetrics();
    streams = new ActiveStreams(metrics);
  });
  afterEach(() => {
    streams.close();
    mock.timers.reset();
  });

  test('counts distinct label sets per job; an equal label set in another object is the same stream', async () => {
    streams.setJobs(['a', 'b', 'idle']);
    const a = streams.job('a');
    const b = streams.job('b');
    const web = { app: 'web', filename: '/1.log' };
    for (let i = 0; i < 5; i++) a.see(web);
    a.see({ filename: '/1.log', app: 'web' });
    a.see({ app: 'web', filename: '/2.log' });
    a.see({ app: 'db', filename: '/3.log' });
    b.see({ app: 'web', filename: '/1.log' });
    assert.deepEqual(
      await gauge(metrics),
      new Map([
        ['a', 3],
        ['b', 1],
        ['idle', 0],
      ]),
    );
    assert.deepEqual(
      streams.counts(),
      new Map([
        ['a', 3],
        ['b', 1],
        ['idle', 0],
      ]),
    );
  });

  test('a stream stays active for 30 minutes after its last entry and leaves the count within the next minute', async () => {
    assert.equal(streamIdleMs, 30 * minute);
    assert.equal(sweepIntervalMs, minute);
    streams.setJobs(['a']);
    const a = streams.job('a');
    const quiet = { app: 'quiet' };
    const busy = { app: 'busy' };
    a.see(quiet);
    a.see(busy);
    for (let m = 1; m <= 30; m++) {
      mock.timers.tick(minute);
      a.see(busy);
    }
    assert.equal((await gauge(metrics)).get('a'), 2, 'idle for 30 minutes: still active');
    mock.timers.tick(minute);
    a.see(busy);
    assert.equal((await gauge(metrics)).get('a'), 1, 'idle for over 30 minutes: expired');
    // An entry brings it back, through the same label set object.
    a.see(quiet);
    assert.equal((await gauge(metrics)).get('a'), 2);
    mock.timers.tick(32 * minute);
    assert.equal((await gauge(metrics)).get('a'), 0);
    assert.equal(streams.counts().get('a'), 0);
  });

  test('a job gone from the config after a reload drops its series; a job that stays keeps its streams', async () => {
    streams.setJobs(['a', 'b']);
    streams.job('a').see({ app: 'x' });
    streams.job('b').see({ app: 'y' });
    const oldB = streams.job('b');
    streams.setJobs(['a', 'c']);
    assert.deepEqual(
      await gauge(metrics),
      new Map([
        ['a', 1],
        ['c', 0],
      ]),
    );
    // The old agent may still flush entries of the removed job while it stops: not counted.
    oldB.see({ app: 'late' });
    assert.equal((await gauge(metrics)).has('b'), false);
    assert.match(await metrics.registry.metrics(), /logferry_active_streams\{job="a"\} 1/);
    assert.doesNotMatch(await metrics.registry.metrics(), /job="b"/);
  });

  test(`tracks at most ${maxTrackedStreams} streams, warns once, and counts again once streams expire`, async () => {
    const { logger, lines } = captureLogger();
    streams.close();
    streams = new ActiveStreams(metrics, logger);
    streams.setJobs(['flood']);
    const flood = streams.job('flood');
    for (let i = 0; i < maxTrackedStreams + 10; i++) flood.see({ trace_id: String(i) });
    const over = { trace_id: 'over' };
    flood.see(over);
    flood.see(over);
    assert.equal((await gauge(metrics)).get('flood'), maxTrackedStreams);
    const warnings = lines.filter((l) => l.includes('too many active streams'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /limit=100000/);
    mock.timers.tick(30 * minute);
    assert.equal((await gauge(metrics)).get('flood'), maxTrackedStreams, 'not yet idle long enough');
    mock.timers.tick(minute);
    assert.equal((await gauge(metrics)).get('flood'), 0);
    // The stream refused before is counted at its next entry.
    flood.see(over);
    assert.equal((await gauge(metrics)).get('flood'), 1);
  });
});
