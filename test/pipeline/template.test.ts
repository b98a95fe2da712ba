import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertConfigError, entry, harness, run } from '../support/stage-harness.js';

interface Row {
  name: string;
  source: string;
  template: string;
  extracted: Record<string, unknown>;
  want: Record<string, unknown>;
  line?: string;
}

// Rows from Promtail's template_test.go (with inputs that exercise them), plus Go template edge cases.
const rows: Row[] = [
  {
    name: 'simple template',
    source: 'some',
    template: '{{ .Value }} appended',
    extracted: { some: 'value' },
    want: { some: 'value appended' },
  },
  {
    name: 'adds a missing source',
    source: 'missing',
    template: 'newval',
    extracted: { notmissing: 'value' },
    want: { notmissing: 'value', missing: 'newval' },
  },
  {
    name: 'several keys',
    source: 'message',
    template: '{{.Value}} in module {{.module}}',
    extracted: { level: 'warn', app: 'loki', message: 'warn for app loki', module: 'test' },
    want: { level: 'warn', app: 'loki', module: 'test', message: 'warn for app loki in module test' },
  },
  {
    name: 'several keys, missing source',
    source: 'missing',
    template: '{{ .level }} for app {{ .app | ToUpper }}',
    extracted: { level: 'warn', app: 'loki' },
    want: { level: 'warn', app: 'loki', missing: 'warn for app LOKI' },
  },
  {
    name: 'a missing key renders <no value>',
    source: 'message',
    template: '{{.Value}} in module {{.module}}',
    extracted: { level: 'warn', app: 'loki', message: 'warn for app loki' },
    want: { level: 'warn', app: 'loki', message: 'warn for app loki in module <no value>' },
  },
  {
    name: 'a nil extracted value is left out of the data',
    source: 'level',
    template: '{{ Replace .Value "Warning" "warn" 1 }}',
    extracted: { level: 'Warning', testval: null },
    want: { level: 'warn', testval: null },
  },
  {
    name: 'ToLower in a pipe',
    source: 'testval',
    template: '{{ .Value | ToLower }}',
    extracted: { testval: 'Value' },
    want: { testval: 'value' },
  },
  {
    name: 'ToLower with an argument',
    source: 'testval',
    template: '{{ ToLower .Value }}',
    extracted: { testval: 'Value' },
    want: { testval: 'value' },
  },
  {
    name: 'a Sprig function',
    source: 'testval',
    template: '{{ add 7 3 }}',
    extracted: { testval: 'Value' },
    want: { testval: '10' },
  },
  {
    name: 'ToLower of a missing value fails: nothing changes',
    source: 'testval',
    template: '{{ .Value | ToLower }}',
    extracted: {},
    want: {},
  },
  {
    name: 'Replace all then ToLower',
    source: 'testval',
    template: '{{ Replace .Value " " "_" -1 | ToLower }}',
    extracted: { testval: 'Some Silly Value With Lots Of Spaces' },
    want: { testval: 'some_silly_value_with_lots_of_spaces' },
  },
  {
    name: 'regexReplaceAll with a group reference',
    source: 'testval',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${1} group reference
    template: '{{ regexReplaceAll "(Silly)" .Value "${1}foo"  }}',
    extracted: { testval: 'Some Silly Value With Lots Of Spaces' },
    want: { testval: 'Some Sillyfoo Value With Lots Of Spaces' },
  },
  {
    name: 'regexReplaceAll with a bad expression fails: nothing changes',
    source: 'testval',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${1} group reference
    template: '{{ regexReplaceAll "\\\\K" .Value "${1}foo"  }}',
    extracted: { testval: 'Some Silly Value With Lots Of Spaces' },
    want: { testval: 'Some Silly Value With Lots Of Spaces' },
  },
  {
    name: 'regexReplaceAll with alternatives',
    source: 'testval',
    template: '{{ regexReplaceAll "( |Of)" .Value "_"  }}',
    extracted: { testval: 'Some Silly Value With Lots Of Spaces' },
    want: { testval: 'Some_Silly_Value_With_Lots___Spaces' },
  },
  {
    name: 'regexReplaceAllLiteral keeps $ text',
    source: 'testval',
    template: '{{ regexReplaceAllLiteral "(Silly)" .Value "$1"  }}',
    extracted: { testval: 'Some Silly Value' },
    want: { testval: 'Some $1 Value' },
  },
  {
    name: 'Trim',
    source: 'testval',
    template: '{{ Trim .Value "!" }}',
    extracted: { testval: '!!!!!WOOOOO!!!!!' },
    want: { testval: 'WOOOOO' },
  },
  {
    name: 'an empty result removes the key',
    source: 'testval',
    template: '',
    extracted: { testval: 'WOOOOO' },
    want: {},
  },
  { name: 'an empty result adds nothing', source: 'testval', template: '', extracted: {}, want: {} },
  {
    name: 'an empty result from a condition removes the key',
    source: 'level',
    template: '{{ if ne .Value "debug" }}{{ .Value }}{{ end }}',
    extracted: { level: 'debug' },
    want: {},
  },
  {
    name: 'Sha2Hash (SHA-256 of .Value then the salt)',
    source: 'testval',
    template: '{{ Sha2Hash .Value "salt" }}',
    extracted: { testval: 'this is PII data' },
    want: { testval: '5526fd6f8ad457279cf8ff06453c6cb61bf479fa826e3b099caa6c846f9376f2' },
  },
  {
    name: 'sha512sum (Sprig 3.3.0, Promtail 3.4 and later)',
    source: 'testval',
    template: '{{ .Value | sha512sum }}',
    extracted: { testval: 'abc' },
    want: {
      testval:
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    },
  },
  {
    name: 'Hash (SHA3-256 of .Value then the salt)',
    source: 'testval',
    template: '{{ Hash .Value "salt" }}',
    extracted: { testval: 'this is PII data' },
    want: { testval: '0807ea24e992127128b38e4930f7155013786a4999c73a25910318a793847658' },
  },
  {
    name: '.Entry is the line',
    source: 'copy',
    template: '{{ .Entry | ToUpper }}',
    extracted: {},
    line: 'the line',
    want: { copy: 'THE LINE' },
  },
  {
    name: 'numbers and booleans reach the template in their Promtail string form',
    source: 'out',
    template: '{{ .n }} {{ .big }} {{ .ok }} {{ .obj }} {{ if eq .n "125" }}eq{{ end }}',
    extracted: { n: 125, big: 1e21, ok: true, obj: { a: 1 } },
    want: {
      n: 125,
      big: 1e21,
      ok: true,
      obj: { a: 1 },
      out: '125 1000000000000000000000 true <no value> eq',
    },
  },
  {
    name: 'the source value replaces a numeric one with its string result',
    source: 'n',
    template: '{{ add .Value 1 }}',
    extracted: { n: 41 },
    want: { n: '42' },
  },
  {
    name: 'names that look like object properties are plain keys',
    source: 'constructor',
    template: '[{{ .Value }}][{{ .toString }}]',
    extracted: { constructor: 'c' },
    want: { constructor: '[c][<no value>]' },
  },
  {
    name: 'range, variables and else-if',
    source: 'out',
    template:
      '{{ $n := 0 }}{{ range $i, $p := splitList "," .Value }}{{ if $i }};{{ end }}{{ if eq $p "a" }}A{{ else if eq $p "b" }}B{{ else }}{{ $p }}{{ end }}{{ end }}',
    extracted: { out: 'a,b,c' },
    want: { out: 'A;B;c' },
  },
  {
    name: 'default and trim markers',
    source: 'level',
    template: '{{- .Value | default "info" | upper -}}',
    extracted: { level: '' },
    want: { level: 'INFO' },
  },
];

describe('template stage', () => {
  for (const row of rows) {
    it(row.name, () => {
      const h = harness();
      const stage = h.build(
        `template:\n  source: ${JSON.stringify(row.source)}\n  template: ${JSON.stringify(row.template)}`,
      );
      const e = entry(row.line ?? 'not important for this test', { extracted: { ...row.extracted } });
      const out = run(stage, [e]);
      assert.equal(out.emitted.length, 1);
      assert.equal(e.line, row.line ?? 'not important for this test', 'the line is never changed');
      assert.deepEqual(e.extracted, row.want);
    });
  }

  it('json then templates (Promtail pipeline test)', () => {
    const h = harness();
    const stages = [
      h.build('json:\n  expressions:\n    app: app\n    level: level'),
      h.build("template:\n  source: app\n  template: '{{ .Value | ToUpper }} doki'"),
      h.build(
        'template:\n  source: level\n  template: \'{{ if eq .Value "WARN" }}{{ Replace .Value "WARN" "OK" -1 }}{{ else }}{{ .Value }}{{ end }}\'',
      ),
      h.build('template:\n  source: nonexistent\n  template: "TEST"'),
    ];
    const e = entry(
      '{"time":"2012-11-01T22:08:41+00:00","app":"loki","level":"WARN","message":"this is a log line"}',
    );
    let batch = [e];
    for (const s of stages) batch = run(s, batch).emitted;
    assert.deepEqual(e.extracted, { app: 'LOKI doki', level: 'OK', nonexistent: 'TEST' });
  });

  it('a missing JSON key: the template fails at debug level and the value stays null', () => {
    const h = harness();
    const json = h.build('json:\n  expressions:\n    app: app');
    const template = h.build("template:\n  source: app\n  template: '{{ .Value | ToUpper }} doki'");
    const e = entry('{"level":"WARN"}');
    run(template, run(json, [e]).emitted);
    assert.deepEqual(e.extracted, { app: null });
    const log = h.logs.find((l) => l.msg === 'failed to execute template on extracted value');
    assert.ok(log);
    assert.equal(log.level, 'debug');
    assert.match(String(log.fields.err), /invalid value; expected string/);
  });

  it("the documentation's multi-line date template (substr, add, if/and/or)", () => {
    // The YAML of Promtail's template.md, whose double-quoted lines end in escaped newlines.
    const yaml = `template:
  source: time
  template: "\\
    {{ .date_local | substr 6 10 }}-{{ .date_local | substr 0 2 }}-{{ .date_local | substr 3 5 }}T\\
    {{ if eq (.time_local | substr 0 2) \\"12\\" }}\\
        {{ if eq .hour_period \\"AM\\" }}00{{ else }}12{{ end }}{{ .time_local | substr 2 10}}Z\\
    {{ else }}\\
        {{ if eq .hour_period \\"AM\\" }}\\
            {{ if or (eq (.time_local | substr 0 2) \\"11\\") (eq (.time_local | substr 0 2) \\"10\\") }}{{ .time_local }}Z\\
                {{ else }}0{{ .time_local }}Z\\
            {{ end }}\\
        {{ else }}\\
            {{ if eq (.time_local | substr 0 2) \\"11\\" }}23{{ .time_local | substr 2 10 }}Z{{ end }}\\
            {{ if eq (.time_local | substr 0 2) \\"10\\" }}22{{ .time_local | substr 2 10 }}Z{{ end }}\\
            {{ if eq (.time_local | substr 0 2) \\"9:\\" }}21{{ .time_local | substr 1 10 }}Z{{ end }}\\
            {{ if eq (.time_local | substr 0 2) \\"8:\\" }}20{{ .time_local | substr 1 10 }}Z{{ end }}\\
            {{ if and (le (.time_local | substr 0 1) \\"7\\") (eq (.time_local | substr 1 2) \\":\\") }}1{{ add (.time_local | substr 0 1) 2 }}{{ .time_local | substr 1 10 }}Z{{ end }}\\
        {{ end }}\\
    {{ end }}"`;
    const stage = harness().build(yaml);
    const cases: [string, string, string, string][] = [
      ['11/08/2022', '12:53:24', 'PM', '2022-11-08T12:53:24Z'],
      ['11/08/2022', '12:53:24', 'AM', '2022-11-08T00:53:24Z'],
      ['01/02/2023', '8:15:00', 'PM', '2023-01-02T20:15:00Z'],
      ['01/02/2023', '3:05:00', 'PM', '2023-01-02T15:05:00Z'],
      ['01/02/2023', '9:05:00', 'AM', '2023-01-02T09:05:00Z'],
      ['01/02/2023', '10:05:00', 'AM', '2023-01-02T10:05:00Z'],
    ];
    for (const [date, time, period, want] of cases) {
      const e = entry('x', { extracted: { date_local: date, time_local: time, hour_period: period } });
      run(stage, [e]);
      assert.equal(e.extracted.time, want, `${date} ${time} ${period}`);
    }
  });

  it('renders 50k entries with one parsed template', () => {
    const h = harness();
    const stage = h.build(
      'template:\n  source: level\n  template: \'{{ if eq .Value "warn" }}{{ .Value | ToUpper }}{{ else }}{{ .Value }}{{ end }}\'',
    );
    const entries = Array.from({ length: 50_000 }, (_, i) =>
      entry('x', { extracted: { level: i % 2 ? 'warn' : 'info' } }),
    );
    run(stage, entries);
    assert.equal(entries[1]!.extracted.level, 'WARN');
    assert.equal(entries[2]!.extracted.level, 'info');
    // The speed goal (under 5 s) is checked by bench/template.ts (`npm run bench`).
  });
});

describe('template stage: configuration errors name file, line and key', () => {
  const bad: [string, string, number, string, RegExp][] = [
    ['no options', 'template:\n', 1, 'template', /template source value is required/],
    [
      'missing source',
      "template:\n  template: 'x'\n",
      2,
      'template.source',
      /template source value is required/,
    ],
    [
      'empty source',
      "template:\n  source: ''\n  template: x\n",
      2,
      'template.source',
      /template source value is required/,
    ],
    [
      'template that does not parse',
      "template:\n  source: a\n  template: '{{ if .Value }}'\n",
      3,
      'template.template',
      /template: pipeline_template:1: unexpected EOF/,
    ],
    [
      'unknown function',
      "template:\n  source: a\n  template: '{{ Foo .Value }}'\n",
      3,
      'template.template',
      /function "Foo" not defined/,
    ],
    [
      'unsupported Sprig function',
      "template:\n  source: a\n  template: '{{ now }}'\n",
      3,
      'template.template',
      /function "now" \(Sprig date functions\) is not supported by logferry/,
    ],
    ['unknown option', 'template:\n  source: a\n  value: x\n', 3, 'template.value', /unknown key/],
  ];
  for (const [name, yaml, line, key, message] of bad) {
    it(name, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: message });
    });
  }
});
