import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { assertConfigError, entry, harness, run } from '../support/stage-harness.js';

// Promtail's replace_test.go fixtures; the other rows' results were computed with Go's regexp and
// text/template running Promtail's replace algorithm.
const logLine =
  '11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] "GET /1986.js HTTP/1.1" 200 932 "-" "Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6"';
const statusTemplate =
  '{{ if eq .Value "200" }}{{ Replace .Value "200" "HttpStatusOk" -1 }}{{ else }}{{ .Value | ToUpper }}{{ end }}';
const upperLine =
  '11.11.11.11 - FRANK [25/JAN/2000:14:00:01 -0500] "GET /1986.JS HTTP/1.1" HttpStatusOk 932 "-" "MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6"';
const namedWant = {
  ip: '11.11.11.11',
  identd: '-',
  user: 'FRANK',
  timestamp: '25/JAN/2000:14:00:01 -0500',
  action: 'GET',
  path: '/1986.JS',
  protocol: 'HTTP/1.1',
  status: 'HttpStatusOk',
  referer: '-',
  useragent: 'MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6',
};

interface Row {
  name: string;
  expression: string;
  replace?: string;
  source?: string;
  line: string;
  extracted?: Record<string, unknown>;
  wantLine: string;
  want: Record<string, unknown>;
}

const rows: Row[] = [
  {
    name: 'one group, literal replacement',
    expression: '11.11.11.11 - (\\S+) .*',
    replace: 'dummy',
    line: logLine,
    wantLine: logLine.replace('frank', 'dummy'),
    want: {},
  },
  {
    name: 'named groups with a template: line and extracted values',
    expression:
      '^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+) \\[(?P<timestamp>[\\w:/]+\\s[+\\-]\\d{4})\\] "(?P<action>\\S+)\\s?(?P<path>\\S+)?\\s?(?P<protocol>\\S+)?" (?P<status>\\d{3}|-) (\\d+|-)\\s?"?(?P<referer>[^"]*)"?\\s?"?(?P<useragent>[^"]*)?"?$',
    replace: statusTemplate,
    line: logLine,
    wantLine: upperLine,
    want: namedWant,
  },
  {
    name: 'nested named groups: the outer group is replaced, inner ones are extracted',
    expression:
      '(?P<ip_user>^(?P<ip>\\S+) (?P<identd>\\S+) (?P<user>\\S+)) \\[(?P<timestamp>[\\w:/]+\\s[+\\-]\\d{4})\\] "(?P<action_path>(?P<action>\\S+)\\s?(?P<path>\\S+)?)\\s?(?P<protocol>\\S+)?" (?P<status>\\d{3}|-) (\\d+|-)\\s?"?(?P<referer>[^"]*)"?\\s?"?(?P<useragent>[^"]*)?"?$',
    replace: statusTemplate,
    line: logLine,
    wantLine: upperLine,
    want: { ...namedWant, ip_user: '11.11.11.11 - FRANK', action_path: 'GET /1986.JS' },
  },
  {
    name: 'unnamed groups with a template',
    expression:
      '^(\\S+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] "(\\S+)\\s?(\\S+)?\\s?(\\S+)?" (\\d{3}|-) (\\d+|-)\\s?"?([^"]*)"?\\s?"?([^"]*)?"?$',
    replace: statusTemplate,
    line: logLine,
    wantLine: upperLine,
    want: {},
  },
  {
    name: 'empty replace removes the group',
    expression: '11.11.11.11 - (\\S+\\s)',
    replace: '',
    line: logLine,
    wantLine: logLine.replace('frank ', ''),
    want: {},
  },
  {
    name: 'adjacent capture groups',
    expression: '(a|b|c)',
    replace: '',
    line: 'abc',
    wantLine: '',
    want: {},
  },
  {
    name: 'every match is replaced',
    expression: '(\\d{2}.\\d{2}.\\d{2}.\\d{2}) - (\\S+)',
    replace: '<{{ .Value }}>',
    line: '11.11.11.11 - frank 12.12.12.12 - frank',
    wantLine: '<11.11.11.11> - <frank> <12.12.12.12> - <frank>',
    want: {},
  },
  {
    name: 'an empty capture is replaced too; a named group that did not take part gets the "" replacement',
    expression: '(?P<a>x)?(?P<b>y*)',
    replace: '[{{ .Value }}]',
    line: 'q',
    wantLine: '[]q[]',
    want: { a: '[]', b: '[]' },
  },
  {
    name: 'named groups take the replacement of their text in the first match',
    expression: '(?P<first>\\w+)-(?P<second>\\w+)',
    replace: '{{ .Value | ToUpper }}',
    line: 'x-x y-z',
    wantLine: 'X-X Y-Z',
    want: { first: 'X', second: 'X' },
  },
  {
    name: 'a capture kept from an earlier iteration of a repetition (Go semantics)',
    expression: '(?:(a)|(b))+',
    replace: '<{{ .Value }}>',
    line: 'abbb',
    wantLine: '<a>bb<b>',
    want: {},
  },
  {
    name: 'a template reading the captured value',
    expression: '(?P<user>\\w+)@(?P<domain>\\w+)\\.com',
    replace: '{{ if eq .Value "example" }}***{{ else }}{{ .Value }}{{ end }}',
    line: 'joe@example.com bob@corp.com',
    wantLine: 'joe@***.com bob@corp.com',
    want: { user: 'joe', domain: '***' },
  },
  {
    name: 'a template reading other extracted values',
    expression: 'password=(\\S+)',
    replace: '{{ .user }}-hidden',
    line: 'user=1 password=secret',
    extracted: { user: 'joe' },
    wantLine: 'user=1 password=joe-hidden',
    want: { user: 'joe' },
  },
  {
    name: 'extracted numbers reach the template as Promtail strings',
    expression: 'took=(\\S+)',
    replace: '{{ .ms }}ms',
    line: 'took=x',
    extracted: { ms: 1e21 },
    wantLine: 'took=1000000000000000000000ms',
    want: { ms: 1e21 },
  },
  {
    name: 'an empty group before a non-empty one',
    expression: '(a*)(b)',
    replace: '<{{ .Value }}>',
    line: 'b ab',
    wantLine: '<><b> <a><b>',
    want: {},
  },
  {
    name: 'an expression without groups replaces nothing',
    expression: 'frank',
    replace: 'X',
    line: logLine,
    wantLine: logLine,
    want: {},
  },
  {
    name: 'no match: nothing changes',
    expression: '(zzz)',
    replace: 'X',
    line: 'abc',
    wantLine: 'abc',
    want: {},
  },
  {
    name: 'a template error leaves the entry as it was',
    expression: '(?P<w>\\w+)',
    replace: '{{ ToUpper .missing }}',
    line: 'abc',
    wantLine: 'abc',
    want: {},
  },
  {
    name: 'source: the extracted value is replaced, the line is not',
    expression: '\\S+ - "POST (\\S+) .*',
    replace: '/loki/api/v1/push/',
    source: 'msg',
    line: '{"msg":"x"}',
    extracted: { msg: '11.11.11.11 - "POST /loki/api/push/ HTTP/1.1" 200' },
    wantLine: '{"msg":"x"}',
    want: { msg: '11.11.11.11 - "POST /loki/api/v1/push/ HTTP/1.1" 200' },
  },
  {
    name: 'obfuscation with Hash, as Promtail documents it (piped value is the input, salt first)',
    expression: '([0-9]{3}-[0-9]{2}-[0-9]{4})',
    replace: '*SSN*{{ .Value | Hash "salt" }}*',
    line: 'ssn=123-45-6789 ok',
    wantLine: `ssn=*SSN*${createHash('sha3-256').update('salt123-45-6789').digest('hex')}* ok`,
    want: {},
  },
  {
    name: 'missing source',
    expression: '(a)',
    replace: 'b',
    source: 'msg',
    line: 'a',
    wantLine: 'a',
    want: {},
  },
  {
    name: 'null source',
    expression: '(a)',
    replace: 'b',
    source: 'msg',
    line: 'a',
    extracted: { msg: null },
    wantLine: 'a',
    want: { msg: null },
  },
  {
    name: 'unicode text',
    expression: '(?P<word>\\p{Cyrillic}+)',
    replace: '{{ .Value | ToUpper }}',
    line: 'ошибка: диск 😀',
    wantLine: 'ОШИБКА: ДИСК 😀',
    want: { word: 'ОШИБКА' },
  },
];

describe('replace stage', () => {
  for (const row of rows) {
    it(row.name, () => {
      const h = harness();
      const yaml = `replace:\n  expression: ${JSON.stringify(row.expression)}${
        row.replace !== undefined ? `\n  replace: ${JSON.stringify(row.replace)}` : ''
      }${row.source ? `\n  source: ${row.source}` : ''}`;
      const stage = h.build(yaml);
      const e = entry(row.line, { extracted: { ...row.extracted } });
      const out = run(stage, [e]);
      assert.equal(out.emitted.length, 1);
      assert.equal(e.line, row.wantLine);
      assert.deepEqual(e.extracted, row.want);
    });
  }

  it('json then replace on an extracted value (Promtail pipeline test)', () => {
    const h = harness();
    const json = h.build('json:\n  expressions:\n    level:\n    msg:');
    const replace = h.build(
      'replace:\n  expression: "\\\\S+ - \\"POST (\\\\S+) .*"\n  source: msg\n  replace: "/loki/api/v1/push/"',
    );
    const line =
      '{"time":"2019-01-01T01:00:00.000000001Z", "level": "info", "msg": "11.11.11.11 - \\"POST /loki/api/push/ HTTP/1.1\\" 200 932 \\"-\\" \\"Mozilla/5.0\\""}';
    const e = entry(line);
    run(replace, run(json, [e]).emitted);
    assert.equal(e.line, line);
    assert.deepEqual(e.extracted, {
      level: 'info',
      msg: '11.11.11.11 - "POST /loki/api/v1/push/ HTTP/1.1" 200 932 "-" "Mozilla/5.0"',
    });
  });

  it('logs a template error at debug level', () => {
    const h = harness();
    const stage = h.build('replace:\n  expression: "(a)"\n  replace: "{{ ToUpper .nope }}"');
    run(stage, [entry('a')]);
    const log = h.logs.find((l) => l.msg === 'failed to execute template on extracted value');
    assert.ok(log);
    assert.match(String(log.fields.err), /invalid value; expected string/);
  });
});

describe('replace stage: configuration errors name file, line and key', () => {
  const bad: [string, string, number, string, RegExp][] = [
    ['no options', 'replace:\n', 1, 'replace', /expression is required/],
    ['missing expression', 'replace:\n  replace: x\n', 2, 'replace.expression', /expression is required/],
    [
      'invalid expression',
      "replace:\n  expression: '(?P<ts[0-9]+).*'\n  replace: test\n",
      2,
      'replace.expression',
      /could not compile regular expression: error parsing regexp: invalid named capture/,
    ],
    [
      'empty source',
      "replace:\n  expression: '(a)'\n  source: ''\n",
      3,
      'replace.source',
      /empty source in replace stage/,
    ],
    [
      'template that does not parse',
      "replace:\n  expression: '(a)'\n  replace: '{{ foo .Value }}'\n",
      3,
      'replace.replace',
      /failed to compile template: template: pipeline_template:1: function "foo" not defined/,
    ],
    [
      'unknown option',
      "replace:\n  expression: '(a)'\n  template: x\n",
      3,
      'replace.template',
      /unknown key/,
    ],
  ];
  for (const [name, yaml, line, key, message] of bad) {
    it(name, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: message });
    });
  }
});
