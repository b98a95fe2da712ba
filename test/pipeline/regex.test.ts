import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertConfigError, entry, harness, run } from '../support/stage-harness.js';

// Promtail's regex_test.go fixtures.
const apacheExpression =
  '^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+) \\[(?P<timestamp>[\\w:/]+\\s[+\\-]\\d{4})\\] "(?P<action>\\S+)\\s?(?P<path>\\S+)?\\s?(?P<protocol>\\S+)?" (?P<status>\\d{3}|-) (?P<size>\\d+|-)\\s?"?(?P<referer>[^"]*)"?\\s?"?(?P<useragent>[^"]*)?"?$';
const apacheLine =
  '11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] "GET /1986.js HTTP/1.1" 200 932 "-" "Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6"';
const apacheWant = {
  ip: '11.11.11.11',
  identd: '-',
  user: 'frank',
  timestamp: '25/Jan/2000:14:00:01 -0500',
  action: 'GET',
  path: '/1986.js',
  protocol: 'HTTP/1.1',
  status: '200',
  size: '932',
  referer: '-',
  useragent: 'Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6',
};

/** YAML for a regex stage; the expression is written as a YAML single-quoted scalar. */
function config(expression: string, source?: string): string {
  return `regex:\n  expression: '${expression.replaceAll("'", "''")}'${source !== undefined ? `\n  source: ${source}` : ''}`;
}

interface Row {
  name: string;
  expression: string;
  source?: string;
  line: string;
  extracted?: Record<string, unknown>;
  want: Record<string, unknown>;
}

const rows: Row[] = [
  { name: 'apache common log on the line', expression: apacheExpression, line: apacheLine, want: apacheWant },
  {
    name: 'on extracted[source]',
    expression: '^HTTP\\/(?P<protocol_version>.*)$',
    source: 'protocol',
    line: apacheLine,
    extracted: { protocol: 'HTTP/1.1' },
    want: { protocol: 'HTTP/1.1', protocol_version: '1.1' },
  },
  {
    name: 'no match on the line',
    expression: '^(?s)(?P<time>\\S+?) (?P<stream>stdout|stderr) (?P<flags>\\S+?) (?P<message>.*)$',
    line: 'blahblahblah',
    want: {},
  },
  {
    name: 'no match on the source',
    expression: '^HTTP\\/(?P<protocol_version>.*)$',
    source: 'protocol',
    line: 'unknown/unknown',
    extracted: { protocol: 'unknown' },
    want: { protocol: 'unknown' },
  },
  {
    name: 'case insensitive flag',
    expression:
      '(?i)(?P<bad>panic:|core_dumped|failure|error|attack| bad |illegal |denied|refused|unauthorized|fatal|failed|Segmentation Fault|Corrupted)',
    line: 'A Terrible Error has occurred!!!',
    want: { bad: 'Error' },
  },
  {
    name: 'missing source',
    expression: '^HTTP\\/(?P<protocol_version>.*)$',
    source: 'protocol',
    line: 'HTTP/1.1',
    want: {},
  },
  {
    name: 'boolean source is matched as "true"',
    expression: '^(?P<word>t\\w+)$',
    source: 'flag',
    line: 'x',
    extracted: { flag: true },
    want: { flag: true, word: 'true' },
  },
  {
    name: 'numeric source is matched in its Promtail string form',
    expression: '^(?P<int>\\d+)$',
    source: 'n',
    line: 'x',
    extracted: { n: 1e21 },
    want: { n: 1e21, int: '1000000000000000000000' },
  },
  {
    name: 'null source is skipped',
    expression: '(?P<all>.*)',
    source: 'n',
    line: 'x',
    extracted: { n: null },
    want: { n: null },
  },
  {
    name: 'unnamed groups are ignored',
    expression: '(\\w+) (?P<second>\\w+) (\\w+)',
    line: 'one two three',
    want: { second: 'two' },
  },
  {
    name: 'a group that takes no part gives ""',
    expression: '^(?P<a>x)?(?P<b>y)$',
    line: 'y',
    want: { a: '', b: 'y' },
  },
  {
    name: 'the leftmost match wins, not the longest',
    expression: '(?P<w>a|ab)(?P<rest>.*)',
    line: 'zabc',
    want: { w: 'a', rest: 'bc' },
  },
  {
    name: 'existing extracted values are overwritten',
    expression: '(?P<level>\\w+):',
    line: 'warn: disk',
    extracted: { level: 'info', other: 1 },
    want: { level: 'warn', other: 1 },
  },
  {
    name: 'unicode input',
    expression: '(?P<word>\\p{Cyrillic}+)',
    line: 'ошибка: диск',
    want: { word: 'ошибка' },
  },
  {
    name: 'the line is never changed; no groups means nothing extracted',
    expression: 'disk',
    line: 'warn: disk',
    want: {},
  },
];

describe('regex stage', () => {
  for (const row of rows) {
    it(row.name, () => {
      const stage = harness().build(config(row.expression, row.source));
      const e = entry(row.line, { extracted: { ...row.extracted } });
      const out = run(stage, [e]);
      assert.equal(out.emitted.length, 1);
      assert.equal(out.emitted[0]!.line, row.line);
      assert.deepEqual(e.extracted, row.want);
    });
  }

  it('two regex stages, the second on what the first extracted (Promtail pipeline test)', () => {
    const h = harness();
    const first = h.build(config(apacheExpression));
    const second = h.build(config('^HTTP\\/(?P<protocol_version>[0-9\\.]+)$', '"protocol"'));
    const e = entry(apacheLine);
    run(second, run(first, [e]).emitted);
    assert.deepEqual(e.extracted, { ...apacheWant, protocol_version: '1.1' });
  });
});

describe('regex stage: configuration errors name file, line and key', () => {
  const bad: [string, string, number, string, RegExp][] = [
    ['no options', 'regex:\n', 1, 'regex', /expression is required/],
    ['missing expression', 'regex:\n  source: x\n', 2, 'regex.expression', /expression is required/],
    ['empty expression', "regex:\n  expression: ''\n", 2, 'regex.expression', /expression is required/],
    [
      'invalid expression',
      "regex:\n  expression: '(?P<ts[0-9]+).*'\n",
      2,
      'regex.expression',
      /could not compile regular expression: error parsing regexp: invalid named capture/,
    ],
    [
      'Perl-only syntax',
      "regex:\n  expression: '(?<=a)b'\n",
      2,
      'regex.expression',
      /could not compile regular expression/,
    ],
    ['empty source', "regex:\n  expression: 'a'\n  source: ''\n", 3, 'regex.source', /empty source/],
    ['unknown option', "regex:\n  expression: 'a'\n  replace: b\n", 3, 'regex.replace', /unknown key/],
  ];
  for (const [name, yaml, line, key, message] of bad) {
    it(name, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: message });
    });
  }
});
