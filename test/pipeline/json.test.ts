import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractedToString } from '../../src/pipeline/extracted.js';
import { assertConfigError, entry, harness, run } from '../support/stage-harness.js';

// Promtail's json_test.go fixture.
const logFixture = `
{
  "time":"2012-11-01T22:08:41+00:00",
  "app":"loki",
  "component": ["parser","type"],
  "level" : "WARN",
  "numeric": {
    "float": 12.34,
    "integer": 123,
    "string": "123"
  },
  "nested" : {"child":"value"},
  "message" : "this is a log line",
  "complex" : {
    "log" : {"array":[{"test1":"test2"},{"test3":"test4"}],"prop":"value","prop2":"val2"}
  }
}
`;

const allExpressions = `
    time:
    app:
    component:
    level:
    float: numeric.float
    integer: numeric.integer
    string: numeric.string
    nested:
    message:
    complex: complex.log.array[1].test3`;

const fixtureExtract = {
  time: '2012-11-01T22:08:41+00:00',
  app: 'loki',
  component: '["parser","type"]',
  level: 'WARN',
  float: 12.34,
  integer: 123,
  string: '123',
  nested: '{"child":"value"}',
  message: 'this is a log line',
  complex: 'test4',
};

interface Row {
  name: string;
  yaml: string;
  line: string;
  extracted?: Record<string, unknown>;
  want: Record<string, unknown>;
  dropped?: string;
}

const rows: Row[] = [
  {
    name: 'decodes the line',
    yaml: `json:\n  expressions:${allExpressions}`,
    line: logFixture,
    want: fixtureExtract,
  },
  {
    name: 'decodes extracted[source]',
    yaml: `json:\n  expressions:${allExpressions}\n  source: log`,
    line: '{}',
    extracted: { log: logFixture },
    want: { ...fixtureExtract, log: logFixture },
  },
  {
    name: 'missing source: nothing extracted',
    yaml: 'json:\n  expressions:\n    app:\n  source: log',
    line: logFixture,
    want: {},
  },
  {
    name: 'invalid json on the line: nothing extracted, entry kept',
    yaml: 'json:\n  expressions:\n    expr1:',
    line: 'ts=now log=notjson',
    want: {},
  },
  {
    name: 'invalid json in source',
    yaml: 'json:\n  expressions:\n    app:\n  source: log',
    line: logFixture,
    extracted: { log: 'not a json' },
    want: { log: 'not a json' },
  },
  {
    name: 'nil source is skipped',
    yaml: 'json:\n  expressions:\n    app:\n  source: log',
    line: logFixture,
    extracted: { log: null },
    want: { log: null },
  },
  {
    name: 'numeric source is converted to a string first, then is not an object',
    yaml: 'json:\n  expressions:\n    app:\n  source: n',
    line: '{}',
    extracted: { n: 125 },
    want: { n: 125 },
  },
  {
    name: 'missing path and unknown key are null',
    yaml: 'json:\n  expressions:\n    out: message\n    app:\n    nested:\n    duration:\n    unknown:',
    line: '{"app":"loki","nested":{"child":"value"},"duration":125,"message":"this is a log line"}',
    want: {
      out: 'this is a log line',
      app: 'loki',
      nested: '{"child":"value"}',
      duration: 125,
      unknown: null,
    },
  },
  {
    name: 'arrays, indexes, slices, projections, functions',
    yaml: `json:
  expressions:
    first: component[0]
    last: component[-1]
    count: length(component)
    joined: join(',', component)
    tests: complex.log.array[*].test1
    keys: keys(nested)
    sliced: component[:1]
    filtered: complex.log.array[?test3=='test4'] | [0].test3`,
    line: logFixture,
    want: {
      first: 'parser',
      last: 'type',
      count: 2,
      joined: 'parser,type',
      tests: '["test2"]',
      keys: '["child"]',
      sliced: '["parser"]',
      filtered: 'test4',
    },
  },
  {
    name: 'numbers, booleans and nested values keep Go types and formats',
    yaml: 'json:\n  expressions:\n    big:\n    small:\n    yes:\n    obj:\n    arr:\n    nul:',
    line: '{"big":1e21,"small":1e-7,"yes":true,"obj":{"b":1.50,"a":[1e-7,1e21,-0.5]},"arr":[],"nul":null}',
    want: {
      big: 1e21,
      small: 1e-7,
      yes: true,
      obj: '{"b":1.5,"a":[1e-07,1e+21,-0.5]}',
      arr: '[]',
      nul: null,
    },
  },
  {
    name: 'nested strings are re-encoded as Go does (HTML escaped)',
    yaml: 'json:\n  expressions:\n    obj:',
    line: '{"obj":{"html":"<a href=\\"x\\">&</a>","u":"\\u00e9\\n"}}',
    want: { obj: '{"html":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e","u":"é\\n"}' },
  },
  {
    name: 'quoted identifiers for keys with dashes and dots',
    yaml: `json:\n  expressions:\n    xy: '"x-y"'\n    dotted: '"a.b"'`,
    line: '{"x-y":"dash","a.b":"dot"}',
    want: { xy: 'dash', dotted: 'dot' },
  },
  {
    name: 'a failing search (function on a wrong type) leaves the name unset',
    yaml: 'json:\n  expressions:\n    len: length(duration)\n    app:',
    line: '{"duration":125,"app":"loki"}',
    want: { app: 'loki' },
  },
  {
    name: 'the JSON null line gives null everywhere',
    yaml: 'json:\n  expressions:\n    app:\n  drop_malformed: true',
    line: 'null',
    want: { app: null },
  },
  {
    name: 'a top-level array is malformed for Promtail',
    yaml: 'json:\n  expressions:\n    app:\n  drop_malformed: true',
    line: '[{"app":"x"}]',
    want: {},
    dropped: 'malformed_json',
  },
  {
    name: 'drop_malformed drops text lines',
    yaml: 'json:\n  expressions:\n    app:\n  drop_malformed: true',
    line: 'not json at all',
    want: {},
    dropped: 'malformed_json',
  },
  {
    name: 'drop_malformed drops a malformed source',
    yaml: 'json:\n  expressions:\n    app:\n  source: log\n  drop_malformed: true',
    line: '{"app":"line"}',
    extracted: { log: '{"app":' },
    want: { log: '{"app":' },
    dropped: 'malformed_json',
  },
  {
    name: 'drop_malformed keeps entries whose source is missing',
    yaml: 'json:\n  expressions:\n    app:\n  source: log\n  drop_malformed: true',
    line: 'not json',
    want: {},
  },
  {
    name: 'trailing garbage after the object is malformed',
    yaml: 'json:\n  expressions:\n    app:\n  drop_malformed: true',
    line: '{"app":"x"} trailing',
    want: {},
    dropped: 'malformed_json',
  },
  {
    name: 'inherited object properties are not fields',
    yaml: 'json:\n  expressions:\n    c: constructor\n    p: toString',
    line: '{"a":1}',
    want: { c: null, p: null },
  },
];

describe('json stage', () => {
  for (const row of rows) {
    it(row.name, () => {
      const h = harness();
      const stage = h.build(row.yaml);
      const e = entry(row.line, { extracted: { ...row.extracted } });
      const out = run(stage, [e]);
      if (row.dropped) {
        assert.equal(out.emitted.length, 0);
        assert.equal(out.dropped.length, 1);
        assert.equal(out.dropped[0]!.reason, row.dropped);
      } else {
        assert.equal(out.emitted.length, 1);
        assert.equal(out.emitted[0]!.line, row.line, 'the line is never changed');
      }
      assert.deepEqual(e.extracted, row.want);
    });
  }

  it('two json stages: the second parses what the first extracted (Promtail pipeline test)', () => {
    const h = harness();
    const first = h.build('json:\n  expressions:\n    extra:');
    const second = h.build('json:\n  expressions:\n    user:\n  source: extra');
    const e = entry('{"extra":"{\\"user\\":\\"marco\\"}","app":"loki"}');
    run(second, run(first, [e]).emitted);
    assert.deepEqual(e.extracted, { extra: '{"user":"marco"}', user: 'marco' });
  });

  it('evaluates many entries with one compiled stage', () => {
    const h = harness();
    const stage = h.build('json:\n  expressions:\n    level:\n    code: status.code');
    const entries = Array.from({ length: 1000 }, (_, i) =>
      entry(JSON.stringify({ level: i % 2 ? 'info' : 'warn', status: { code: i } })),
    );
    const out = run(stage, entries);
    assert.equal(out.emitted.length, 1000);
    assert.deepEqual(entries[7]!.extracted, { level: 'info', code: 7 });
  });
});

describe('json stage: configuration errors name file, line and key', () => {
  const bad: [string, string, number, string, RegExp][] = [
    ['no options', 'json:\n', 1, 'json', /JMES expression is required/],
    ['empty expressions', 'json:\n  expressions: {}\n', 2, 'json.expressions', /JMES expression is required/],
    [
      'bad expression',
      'json:\n  expressions:\n    a: "3##@$#33"\n',
      3,
      'json.expressions.a',
      /could not compile JMES expression: .*unknown character: #/,
    ],
    [
      'unquoted dash (name as expression)',
      'json:\n  expressions:\n    x-y:\n',
      3,
      'json.expressions.x-y',
      /not JMESPath/,
    ],
    [
      'community arithmetic',
      'json:\n  expressions:\n    a: "b * c"\n',
      3,
      'json.expressions.a',
      /not JMESPath/,
    ],
    [
      'community variables',
      'json:\n  expressions:\n    a: "let $x = b in $x"\n',
      3,
      'json.expressions.a',
      /not JMESPath/,
    ],
    ['empty source', 'json:\n  expressions:\n    a:\n  source: ""\n', 4, 'json.source', /empty source/],
    ['unknown option', 'json:\n  expresions:\n    a:\n', 2, 'json.expresions', /unknown key/],
    [
      'bad boolean',
      'json:\n  expressions:\n    a:\n  drop_malformed: maybe\n',
      4,
      'json.drop_malformed',
      /true or false/,
    ],
  ];
  for (const [name, yaml, line, key, message] of bad) {
    it(name, () => {
      const h = harness();
      assertConfigError(() => h.build(yaml), { line: line, key: key, message: message });
    });
  }
});

describe('extractedToString (Promtail getString)', () => {
  const rows: [unknown, string | undefined][] = [
    ['text', 'text'],
    ['', ''],
    [125, '125'],
    [12.34, '12.34'],
    [-0.5, '-0.5'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    [1.5e300, `15${'0'.repeat(299)}`],
    [123456789012345680000, '123456789012345680000'],
    [10n, '10'],
    [true, 'true'],
    [false, 'false'],
    [null, undefined],
    [undefined, undefined],
    [{ a: 1 }, undefined],
    [[1], undefined],
  ];
  for (const [value, want] of rows) {
    it(`${typeof value} ${String(value)}`, () => {
      assert.equal(extractedToString(value), want);
    });
  }
});
