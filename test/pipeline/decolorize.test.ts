import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { decolorize } from '../../src/pipeline/stages/decolorize.js';
import { entry, harness, run } from '../support/stage-harness.js';

describe('decolorize stage', () => {
  const cases: [string, string, string][] = [
    ['plain text', 'sample text', 'sample text'],
    ['Promtail example', '\u001b[0;32mgreen\u001b[0m \u001b[0;31mred\u001b[0m', 'green red'],
    ['bold red', '\u001b[1;31mERROR\u001b[0m done', 'ERROR done'],
    ['256 colours', '\u001b[38;5;208morange\u001b[39m', 'orange'],
    ['true colour', '\u001b[38;2;255;0;0mred\u001b[0m', 'red'],
    ['cursor and erase', '\u001b[2K\u001b[1Gprogress 50%', 'progress 50%'],
    ['private mode', '\u001b[?25lhidden cursor\u001b[?25h', 'hidden cursor'],
    ['8-bit CSI', '\u009b31mred\u009b0m', 'red'],
    ['OSC title ended by BEL', '\u001b]0;title\u0007text', 'text'],
    // Promtail's pattern stops an OSC title at a space: the rest stays.
    ['OSC title with a space', '\u001b]0;my title\u0007text', 'y title\u0007text'],
    ['reset only', '\u001b[m', ''],
    ['a lone ESC stays', 'a\u001b b', 'a\u001b b'],
    ['unicode around', 'ü\u001b[32m✓\u001b[0m ok', 'ü✓ ok'],
  ];
  for (const [name, line, want] of cases) {
    it(name, () => {
      const out = run(harness().build('decolorize:\n'), [entry(line)]);
      assert.deepEqual(out.lines, [want]);
      assert.equal(decolorize(line), want);
    });
  }

  it('takes an empty mapping, and nothing else', () => {
    assert.ok(harness().build('decolorize: {}\n'));
    assert.throws(
      () => harness().build('decolorize:\n  strip: true\n'),
      (e: unknown) =>
        e instanceof ConfigError && /test.yaml:2: decolorize.strip: unknown key/.test(e.message),
    );
  });

  it('leaves labels and timestamp alone', () => {
    const labels = { job: 'j' };
    const e = entry('\u001b[31mx\u001b[0m', { labels, timestamp: 7n });
    run(harness().build('decolorize:\n'), [e]);
    assert.equal(e.labels, labels);
    assert.equal(e.timestamp, 7n);
  });
});
