import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLogfmt } from '../../src/pipeline/stages/logfmt.js';
import { assertConfigError, entry, harness, run } from '../support/stage-harness.js';

// Promtail's logfmt_test.go fixtures.
const pipelineLine = `
\t\ttime=2012-11-01T22:08:41+00:00 app=loki\tlevel=WARN duration=125 message="this is a log line" extra="user=foo""
\t`;

const fixture = `
\ttime=2012-11-01T22:08:41+00:00
\tapp=loki
\tlevel=WARN
\tnested="child=value"
\tmessage="this is a log line"
`;

const fixtureMapping = '\n    time:\n    app:\n    level:\n    nested:\n    message:';
const fixtureWant = {
  time: '2012-11-01T22:08:41+00:00',
  app: 'loki',
  level: 'WARN',
  nested: 'child=value',
  message: 'this is a log line',
};

interface Row {
  name: string;
  mapping: string;
  source?: string;
  line: string;
  extracted?: Record<string, unknown>;
  want: Record<string, unknown>;
}

const rows: Row[] = [
  {
    name: 'Promtail pipeline line: mapped keys only, stops at the stray quote',
    mapping: '\n    out: message\n    app:\n    duration:\n    unknown:',
    line: pipelineLine,
    want: { out: 'this is a log line', app: 'loki', duration: '125' },
  },
  { name: 'multi-line fixture', mapping: fixtureMapping, line: fixture, want: fixtureWant },
  {
    name: 'from extracted[source]',
    mapping: fixtureMapping,
    source: 'log',
    line: '{}',
    extracted: { log: fixture },
    want: { ...fixtureWant, log: fixture },
  },
  { name: 'missing source', mapping: '\n    app:', source: 'log', line: fixture, want: {} },
  {
    name: 'nil source',
    mapping: '\n    app:',
    source: 'log',
    line: fixture,
    extracted: { log: null },
    want: { log: null },
  },
  { name: 'JSON is not logfmt', mapping: '\n    expr1:', line: '{"invalid":"logfmt"}', want: {} },
  {
    name: 'words are keys without values',
    mapping: '\n    app:\n    not:',
    source: 'log',
    line: fixture,
    extracted: { log: 'not logfmt' },
    want: { log: 'not logfmt', not: '' },
  },
  {
    name: 'key without value, then pairs',
    mapping: '\n    flag:\n    a:',
    line: 'flag a=1',
    want: { flag: '', a: '1' },
  },
  {
    name: 'key with = and nothing after',
    mapping: '\n    a:\n    b:',
    line: 'a= b=2',
    want: { a: '', b: '2' },
  },
  { name: 'key with = at end of line', mapping: '\n    a:', line: 'x=1 a=', want: { a: '' } },
  { name: 'empty quoted value', mapping: '\n    a:', line: 'a=""', want: { a: '' } },
  {
    name: 'quoted value with JSON escapes',
    mapping: '\n    msg:',
    line: 'msg="a \\"q\\" \\\\ \\/ \\n \\t \\u00e9 \\ud83d\\ude00"',
    want: { msg: 'a "q" \\ / \n \t é 😀' },
  },
  {
    name: 'lone surrogate escape becomes U+FFFD',
    mapping: '\n    m:',
    line: 'm="\\ud800x"',
    want: { m: '\ufffdx' },
  },
  {
    name: 'invalid escape stops decoding, keeps what came before',
    mapping: '\n    a:\n    msg:\n    b:',
    line: 'a=1 msg="\\x" b=2',
    want: { a: '1' },
  },
  {
    name: 'unterminated quote stops decoding',
    mapping: '\n    a:\n    msg:',
    line: 'a=1 msg="abc',
    want: { a: '1' },
  },
  {
    name: 'raw control characters inside quotes are kept when there is no escape',
    mapping: '\n    m:',
    line: 'm="a\tb"',
    want: { m: 'a\tb' },
  },
  {
    name: 'raw control characters with an escape make the value invalid',
    mapping: '\n    m:',
    line: 'm="a\t\\"b"',
    want: {},
  },
  {
    name: '= inside an unquoted value is an error',
    mapping: '\n    a:\n    d:',
    line: 'a=b=c d=1',
    want: {},
  },
  {
    name: '" inside an unquoted value is an error',
    mapping: '\n    a:\n    d:',
    line: 'd=1 a=b"c',
    want: { d: '1' },
  },
  { name: 'a line starting with = is an error', mapping: '\n    a:', line: '=foo a=1', want: {} },
  { name: 'a quote in a key is an error', mapping: '\n    b:', line: 'a"b=1 b=2', want: {} },
  {
    name: 'each line is a record; CR before LF dropped',
    mapping: '\n    a:\n    b:',
    line: 'a=1\r\nb=2\r',
    want: { a: '1', b: '2' },
  },
  { name: 'repeated key: the last wins', mapping: '\n    a:', line: 'a=1 a=2', want: { a: '2' } },
  { name: 'renaming', mapping: '\n    lvl: level', line: 'level=info', want: { lvl: 'info' } },
  {
    name: 'two names for one key both get it',
    mapping: '\n    lvl: level\n    level:',
    line: 'level=info',
    want: { lvl: 'info', level: 'info' },
  },
  {
    name: 'unicode keys and values',
    mapping: '\n    ключ:',
    line: 'ключ=значение',
    want: { ключ: 'значение' },
  },
  { name: 'U+FFFD in a key is an invalid key', mapping: '\n    a:', line: 'a=1 b\ufffd=2', want: { a: '1' } },
  {
    name: 'control characters are separators',
    mapping: '\n    a:\n    b:',
    line: 'a=1\x01b=2',
    want: { a: '1', b: '2' },
  },
  {
    name: 'quoted value followed directly by a key',
    mapping: '\n    a:\n    b:',
    line: 'a="x"b=2',
    want: { a: 'x', b: '2' },
  },
  { name: 'numbers stay strings', mapping: '\n    n:', line: 'n=1.50', want: { n: '1.50' } },
  {
    name: 'a numeric source is converted to text first',
    mapping: '\n    n: "125"',
    source: 'num',
    line: '',
    extracted: { num: 125 },
    want: { num: 125, n: '' },
  },
];

describe('logfmt stage', () => {
  for (const row of rows) {
    it(row.name, () => {
      const h = harness();
      const yaml = `logfmt:\n  mapping:${row.mapping}${row.source ? `\n  source: ${row.source}` : ''}`;
      const stage = h.build(yaml);
      const e = entry(row.line, { extracted: { ...row.extracted } });
      const out = run(stage, [e]);
      assert.equal(out.emitted.length, 1);
      assert.equal(out.emitted[0]!.line, row.line);
      assert.deepEqual(e.extracted, row.want);
    });
  }

  it('two logfmt stages: the second reads what the first extracted (Promtail pipeline test)', () => {
    const h = harness();
    const first = h.build('logfmt:\n  mapping:\n    extra:');
    const second = h.build('logfmt:\n  mapping:\n    user:\n  source: extra');
    const e = entry(pipelineLine);
    run(second, run(first, [e]).emitted);
    assert.deepEqual(e.extracted, { extra: 'user=foo', user: 'foo' });
  });

  it('logs a syntax error at debug level and keeps the entry', () => {
    const h = harness();
    const stage = h.build('logfmt:\n  mapping:\n    a:');
    const out = run(stage, [entry('a="open')]);
    assert.equal(out.emitted.length, 1);
    const log = h.logs.find((l) => l.msg === 'failed to decode logfmt');
    assert.ok(log);
    assert.equal(log.level, 'debug');
    assert.equal(log.fields.err, 'logfmt syntax error at pos 8 on line 1: unterminated quoted value');
  });
});

describe('decodeLogfmt: go-logfmt error messages', () => {
  const rows: [string, string][] = [
    ['a=1 msg="abc', 'logfmt syntax error at pos 13 on line 1: unterminated quoted value'],
    ['a=b=c', "logfmt syntax error at pos 4 on line 1: unexpected '='"],
    ['=x', "logfmt syntax error at pos 1 on line 1: unexpected '='"],
    ['a"', `logfmt syntax error at pos 2 on line 1: unexpected '"'`],
    ['ok=1\nm="\\q"', 'logfmt syntax error at pos 7 on line 2: invalid quoted value'],
    ['k\ufffd=1', 'logfmt syntax error at pos 3 on line 1: invalid key'],
  ];
  for (const [input, message] of rows) {
    it(JSON.stringify(input), () => {
      assert.throws(() => decodeLogfmt(input, () => {}), { message });
    });
  }

  it('reports every pair in order', () => {
    const pairs: [string, string][] = [];
    decodeLogfmt('  a=1 b c="x y"  d= \n e=5', (k, v) => pairs.push([k, v]));
    assert.deepEqual(pairs, [
      ['a', '1'],
      ['b', ''],
      ['c', 'x y'],
      ['d', ''],
      ['e', '5'],
    ]);
  });
});

describe('logfmt stage: configuration errors name file, line and key', () => {
  const bad: [string, string, number, string, RegExp][] = [
    ['no options', 'logfmt:\n', 1, 'logfmt', /logfmt mapping is required/],
    ['empty mapping', 'logfmt:\n  mapping: {}\n', 2, 'logfmt.mapping', /logfmt mapping is required/],
    ['empty source', 'logfmt:\n  mapping:\n    a:\n  source: ""\n', 4, 'logfmt.source', /empty source/],
    ['unknown option', 'logfmt:\n  mapping:\n    a:\n  sorce: x\n', 4, 'logfmt.sorce', /unknown key/],
    ['mapping not a map', 'logfmt:\n  mapping: [a]\n', 2, 'logfmt.mapping', /expected a mapping/],
  ];
  for (const [name, yaml, line, key, message] of bad) {
    it(name, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: message });
    });
  }
});
