import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DurationGrammar, parseDuration } from '../../src/config/reader.js';

// One duration parser, three grammars: Go's time.ParseDuration, Prometheus's model.ParseDuration,
// and the default that reads both (Go's syntax plus whole days, weeks and years).
describe('parseDuration grammars', () => {
  const rows: [string, DurationGrammar, number | undefined][] = [
    ['1.5d', 'either', undefined],
    ['1.5w', 'either', undefined],
    ['1d', 'either', 86_400_000],
    ['1d12h', 'either', 129_600_000],
    ['1.5h', 'either', 5_400_000],
    ['1.5h', 'go', 5_400_000],
    ['1d', 'go', undefined],
    ['-250ms', 'go', -250],
    ['1.5h', 'prometheus', undefined],
    ['1d2h', 'prometheus', 93_600_000],
    ['2h1d', 'prometheus', undefined],
    ['-1s', 'prometheus', undefined],
    ['1y', 'prometheus', 365 * 86_400_000],
    ['0', 'prometheus', 0],
    ['', 'prometheus', undefined],
  ];
  for (const [text, grammar, ms] of rows) {
    it(`${JSON.stringify(text)} as ${grammar}`, () =>
      assert.equal(parseDuration(text, undefined, grammar), ms));
  }
});
