// Timers with config-derived delays: Node turns a delay of 2^31 ms or more into 1 ms, so
// `timerDelay` clamps and `setLongTimeout` chains. Mock timers: time is the subject here.

import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { maxTimerDelayMs, setLongTimeout, timerDelay } from '../../src/timers.js';

const hours720 = 720 * 3600 * 1000;

describe('timerDelay', () => {
  const rows: [string, number, number][] = [
    ['a short delay as it is', 250, 250],
    ['the largest Node accepts', maxTimerDelayMs, maxTimerDelayMs],
    ['2^31 ms is clamped, not 1 ms', 2 ** 31, maxTimerDelayMs],
    ['720h is clamped, not 1 ms', hours720, maxTimerDelayMs],
    ['negative is 0', -5, 0],
    ['NaN is 0', Number.NaN, 0],
  ];
  for (const [name, input, want] of rows) test(name, () => assert.equal(timerDelay(input), want));
});

describe('setLongTimeout', () => {
  test('720h fires after 720h, not before', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const fired = mock.fn();
    setLongTimeout(fired, hours720);
    t.mock.timers.tick(1);
    assert.equal(fired.mock.callCount(), 0, 'not after 1 ms (the overflow)');
    t.mock.timers.tick(maxTimerDelayMs);
    assert.equal(fired.mock.callCount(), 0, 'not after the first 24.8 days');
    t.mock.timers.tick(hours720 - maxTimerDelayMs - 2);
    assert.equal(fired.mock.callCount(), 0, 'not before 720h');
    // Each link of the chain starts when the previous one fired: within a millisecond or two.
    t.mock.timers.tick(3);
    assert.equal(fired.mock.callCount(), 1);
  });

  test('a short delay fires once; clear() cancels a chained one', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const short = mock.fn();
    setLongTimeout(short, 10);
    t.mock.timers.tick(10);
    assert.equal(short.mock.callCount(), 1);
    const long = mock.fn();
    const timer = setLongTimeout(long, hours720);
    t.mock.timers.tick(maxTimerDelayMs + 1);
    timer.clear();
    t.mock.timers.tick(hours720);
    assert.equal(long.mock.callCount(), 0);
  });
});
