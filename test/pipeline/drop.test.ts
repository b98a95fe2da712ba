import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nowNanos } from '../../src/types.js';
import {
  assertConfigError,
  CountingDelivery,
  entry,
  harness,
  Recorder,
  samples,
} from '../support/stage-harness.js';

const hour = 3_600_000_000_000n;

interface Case {
  name: string;
  options: string;
  line?: string;
  extracted?: Record<string, unknown>;
  /** Offset of the entry's timestamp from now. */
  age?: bigint;
  dropped: boolean;
}

const cases: Case[] = [
  // longer_than: strictly longer, in UTF-8 bytes
  { name: 'longer_than: longer', options: 'longer_than: 10', line: '12345678901', dropped: true },
  { name: 'longer_than: equal', options: 'longer_than: 10', line: '1234567890', dropped: false },
  { name: 'longer_than: shorter', options: 'longer_than: 10', line: 'short', dropped: false },
  { name: 'longer_than: bytes not chars', options: 'longer_than: 10', line: 'ééééé€', dropped: true },
  // Promtail's flagext.ByteSize: KB is 1024, in any case.
  { name: 'longer_than: 1KB is 1024', options: 'longer_than: 1KB', line: 'x'.repeat(1024), dropped: false },
  { name: 'longer_than: 1kb is 1024', options: 'longer_than: 1kb', line: 'x'.repeat(1025), dropped: true },
  { name: 'longer_than: 1KiB is 1024', options: 'longer_than: 1KiB', line: 'x'.repeat(1025), dropped: true },
  { name: 'longer_than: string number', options: 'longer_than: "3"', line: 'abcd', dropped: true },
  // older_than: timestamp before now - d
  { name: 'older_than: old', options: 'older_than: 1h', age: -2n * hour, dropped: true },
  { name: 'older_than: recent', options: 'older_than: 1h', age: -hour / 2n, dropped: false },
  { name: 'older_than: future', options: 'older_than: 1h', age: hour, dropped: false },
  // source only: drop when present
  { name: 'source present', options: 'source: level', extracted: { level: 'x' }, dropped: true },
  { name: 'source present, null', options: 'source: level', extracted: { level: null }, dropped: true },
  { name: 'source missing', options: 'source: level', extracted: {}, dropped: false },
  { name: 'sources all present', options: 'source: [a, b]', extracted: { a: 1, b: 2 }, dropped: true },
  { name: 'sources one missing', options: 'source: [a, b]', extracted: { a: 1 }, dropped: false },
  // source + value: exact comparison with the string form
  {
    name: 'value equal',
    options: 'source: level\nvalue: debug',
    extracted: { level: 'debug' },
    dropped: true,
  },
  {
    name: 'value differs',
    options: 'source: level\nvalue: debug',
    extracted: { level: 'debugx' },
    dropped: false,
  },
  {
    name: 'value is not a regex',
    options: 'source: l\nvalue: "a.c"',
    extracted: { l: 'abc' },
    dropped: false,
  },
  { name: 'value vs number', options: 'source: code\nvalue: 200', extracted: { code: 200 }, dropped: true },
  { name: 'value vs float', options: 'source: t\nvalue: "0.5"', extracted: { t: 0.5 }, dropped: true },
  { name: 'value vs bool', options: 'source: ok\nvalue: "true"', extracted: { ok: true }, dropped: true },
  { name: 'value vs null', options: 'source: l\nvalue: ""', extracted: { l: null }, dropped: false },
  { name: 'value vs object', options: 'source: l\nvalue: x', extracted: { l: { a: 1 } }, dropped: false },
  {
    name: 'value with joined sources',
    options: 'source: [a, b]\nvalue: "x;y"',
    extracted: { a: 'x', b: 'y' },
    dropped: true,
  },
  {
    name: 'value with separator',
    options: 'source: [a, b]\nseparator: "|"\nvalue: "x|y"',
    extracted: { a: 'x', b: 'y' },
    dropped: true,
  },
  {
    name: 'value: missing sources are skipped in the join',
    options: 'source: [a, b]\nvalue: "y"',
    extracted: { b: 'y' },
    dropped: true,
  },
  { name: 'value "" with no source present', options: 'source: a\nvalue: ""', extracted: {}, dropped: true },
  // expression on the line (unanchored)
  { name: 'expression on line: match', options: 'expression: ".*debug.*"', line: 'a debug b', dropped: true },
  { name: 'expression on line: partial', options: 'expression: debug', line: 'a debug b', dropped: true },
  { name: 'expression on line: no match', options: 'expression: debug', line: 'info', dropped: false },
  // expression on sources
  {
    name: 'expression on source: match',
    options: 'source: level\nexpression: "^(debug|trace)$"',
    extracted: { level: 'trace' },
    line: 'not on the line',
    dropped: true,
  },
  {
    name: 'expression on source: ignores the line',
    options: 'source: level\nexpression: debug',
    extracted: { level: 'info' },
    line: 'debug',
    dropped: false,
  },
  {
    name: 'expression on joined sources',
    options: 'source: [a, b]\nexpression: "^1;2$"',
    extracted: { a: 1, b: '2' },
    dropped: true,
  },
  {
    name: 'expression on source with no string form',
    options: 'source: a\nexpression: ".*"',
    extracted: { a: [1] },
    dropped: false,
  },
  // AND of conditions
  {
    name: 'AND: all hold',
    options: 'expression: debug\nlonger_than: 5',
    line: 'debug line',
    dropped: true,
  },
  {
    name: 'AND: one fails',
    options: 'expression: debug\nlonger_than: 50',
    line: 'debug line',
    dropped: false,
  },
  {
    name: 'AND: old and matching source',
    options: 'older_than: 1h\nsource: a',
    age: -2n * hour,
    extracted: { a: 'x' },
    dropped: true,
  },
  {
    name: 'AND: old but source missing',
    options: 'older_than: 1h\nsource: a',
    age: -2n * hour,
    extracted: {},
    dropped: false,
  },
];

describe('drop stage', () => {
  for (const c of cases) {
    it(c.name, () => {
      const h = harness();
      const stage = h.build(`drop:\n${c.options.replace(/^/gm, '  ')}\n`);
      const delivery = new CountingDelivery();
      const e = entry(c.line ?? 'a line', {
        extracted: c.extracted ?? {},
        timestamp: nowNanos() + (c.age ?? 0n),
        delivery,
      });
      const out = new Recorder();
      stage.process(e, out);
      assert.equal(out.dropped.length, c.dropped ? 1 : 0);
      assert.equal(out.emitted.length, c.dropped ? 0 : 1);
      if (c.dropped) assert.equal(out.dropped[0]!.reason, 'drop_stage');
      else assert.equal(out.emitted[0], e);
    });
  }

  it('counts drops under drop_counter_reason in logentry_dropped_lines_total', async () => {
    const h = harness();
    const stage = h.build('drop:\n  expression: x\n  drop_counter_reason: too_x\n');
    const out = new Recorder();
    const real = {
      emit: (e: Parameters<typeof out.emit>[0]) => out.emit(e),
      drop: (e: Parameters<typeof out.drop>[0], reason: string) => {
        h.metrics.pipelineDroppedLines.inc({ reason });
        out.drop(e, reason);
      },
    };
    for (const line of ['x', 'y', 'xx']) stage.process(entry(line), real);
    assert.deepEqual(
      out.dropped.map((d) => [d.entry.line, d.reason]),
      [
        ['x', 'too_x'],
        ['xx', 'too_x'],
      ],
    );
    assert.deepEqual(await samples(h.registry, 'logentry_dropped_lines_total'), [
      'logentry_dropped_lines_total{reason="too_x"} 2',
    ]);
  });

  it('an empty drop_counter_reason means the default', () => {
    const stage = harness().build('drop:\n  expression: x\n  drop_counter_reason: ""\n');
    const out = new Recorder();
    stage.process(entry('x'), out);
    assert.equal(out.dropped[0]!.reason, 'drop_stage');
  });

  it('releases the delivery of a dropped entry once (through out.drop)', () => {
    const stage = harness().build('drop:\n  expression: x\n');
    const d = new CountingDelivery();
    const out = new Recorder();
    stage.process(entry('x', { delivery: d }), out);
    assert.equal(d.released, 1);
  });
});

describe('drop stage validation', () => {
  const bad: [string, string, number, string][] = [
    [
      'drop:\n',
      'must contain at least one of `source`, `expression`, `older_than` or `longer_than`',
      1,
      'drop',
    ],
    ['drop:\n  value: x\n', 'must contain at least one of', 2, 'drop'],
    ['drop:\n  separator: ","\n', 'must contain at least one of', 2, 'drop'],
    [
      'drop:\n  source: {a: 1}\n',
      'drop stage source invalid type should be string or list of strings',
      2,
      'drop.source',
    ],
    ['drop:\n  source: [[a]]\n', 'invalid type should be string or list of strings', 2, 'drop.source'],
    [
      'drop:\n  older_than: 1x\n',
      'drop stage invalid duration, 1x cannot be converted to a duration',
      2,
      'drop.older_than',
    ],
    [
      'drop:\n  expression: x\n  value: y\n',
      'drop stage config must contain `source` if `value` is specified',
      3,
      'drop.value',
    ],
    [
      'drop:\n  source: a\n  expression: x\n  value: y\n',
      '`value` and `expression` cannot both be defined at the same time.',
      4,
      'drop.value',
    ],
    [
      'drop:\n  expression: "("\n',
      'drop stage regex compilation error: error parsing regexp',
      2,
      'drop.expression',
    ],
    [
      'drop:\n  longer_than: lots\n',
      'drop stage failed to parse longer_than to bytes',
      2,
      'drop.longer_than',
    ],
    ['drop:\n  source: a\n  bogus: 1\n', 'unknown key', 3, 'drop.bogus'],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: msg });
    });
  }
});
