// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Go templates write ${name}, not JS
// The translated V8 RegExp must match exactly what re2js (Go's RE2) matches, stay linear on
// catastrophic patterns, reject what Go rejects with Go's message, and expand templates as Go.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Regex, type RegexMatch, RegexSyntaxError } from '../../src/regex/regex.js';

const inputs = [
  '',
  'a',
  'b',
  'ab',
  'aaa',
  'baaac',
  'abcabc',
  'Hello, World',
  'hello world 42',
  'foo_bar-baz.qux',
  'x=1 y=22 z=333',
  'line1\nline2\nline3',
  'line1\r\nline2\r\n',
  'ends with newline\n',
  '\n\n',
  'tab\there',
  'KELVIN \u212a k K',
  'long s \u017f S s',
  'straße STRASSE \u1e9e',
  'İstanbul ıi Iİ',
  'Ωmega ωμέγα ΣΊΣΥΦΟΣ σς',
  'Привет мир',
  '日本語テキスト',
  'emoji 😀😁😂 end',
  '😀',
  'a😀b',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math',
  '\u{10ffff}\u{10000}',
  'mixed aé😀z',
  'café',
  'a\u2028b\u2029c',
  '/var/log/pods/default_nginx-7d8f9_0a1b2c3d/nginx/0.log',
  'app.kubernetes.io/name',
  '[[brackets]] {braces} (parens) $dollar ^caret',
  '0x1F \\ back\\slash',
  'a.b*c+d?e',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab',
  '0123456789abcdef0123456789abcdef',
  'ab\u0000cd',
  '𐐨𐐀 deseret',
  '2019-01-01T01:00:00.000000001Z stdout F my log line',
  '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326',
  'level=info msg="hello world" x=1',
  '  at foo.bar(Baz.java:1)\n  at x',
];

// Patterns that must translate to a V8 RegExp (the fast path).
const fastPatterns = [
  '',
  'a',
  'abc',
  'a|b',
  'a|ab|abc',
  'ab|a',
  '(a|ab)(c|bcd)(d*)',
  'a*',
  'a+',
  'a?',
  'a*?',
  'a+?',
  'a??',
  'b*',
  'x*',
  '(a+)(b+)?',
  '(a+)*',
  '(a|b)*',
  '(\\w+)\\s*',
  '(\\w+\\s*)+',
  'a{2}',
  'a{2,}',
  'a{2,3}',
  'a{2,3}?',
  'a{0,1}',
  'a{1,1}',
  '(?:ab){2}',
  '[a-f0-9]{32}',
  '[0-9a-f]{1,40}',
  '(?:a|b){20}',
  'x{0}',
  'a{,3}',
  'a{',
  'a{1',
  'a{01}',
  '{',
  '{2',
  '.',
  '.*',
  '.+',
  '(.*)',
  '(.+)',
  '(?s).',
  '(?s)(.*)',
  '(?s:.)x',
  '(?s).(?-s).',
  'a.c',
  '^',
  '$',
  '^a',
  'a$',
  '^$',
  '^(.*)$',
  '\\Aa',
  'a\\z',
  '\\A\\z',
  '(?m)^line\\d$',
  '(?m)^',
  '(?m)$',
  '(?m:^)x',
  '(?m)^.*$',
  '\\b',
  '\\B',
  '\\bworld\\b',
  '\\Bor\\B',
  '\\d+',
  '\\D+',
  '\\s+',
  '\\S+',
  '\\w+',
  '\\W+',
  '[\\d]',
  '[\\D]',
  '[^\\d\\s]+',
  '[[:alpha:]]+',
  '[[:^alpha:]]+',
  '[[:digit:][:upper:]]+',
  '[[:word:]]+',
  '[[:space:]]',
  '[[:punct:]]+',
  '[[:alnum:]]+',
  '[[:lower:]]+',
  '[[:upper:]]+',
  '[[:xdigit:]]+',
  '[[:ascii:]]+',
  '[[:^ascii:]]+',
  '[[:print:]]+',
  '[[:graph:]]+',
  '[[:cntrl:]]',
  '[[:blank:]]',
  '\\pL+',
  '\\PL+',
  '\\p{L}+',
  '\\p{Lu}+',
  '\\p{Ll}',
  '\\p{Greek}+',
  '\\p{Cyrillic}+',
  '\\p{Han}+',
  '\\p{Katakana}+',
  '\\p{^Greek}+',
  '\\P{Greek}+',
  '\\pN+',
  '\\p{Nd}',
  '\\pS',
  '\\p{So}',
  '\\pP+',
  '\\p{Latin}+',
  '[\\p{Greek}\\p{Cyrillic}]+',
  '[^\\p{L}]+',
  '\\p{Any}',
  '[\\x{1F600}-\\x{1F602}]+',
  '[😀-😂]',
  '[a😀]+',
  '[^a]',
  '[^a]+',
  '[^\\n]+',
  '[^😀]+',
  '😀',
  '😀+',
  '(😀)',
  '[\\x{10000}-\\x{10FFFF}]+',
  '[\\x{1D500}-\\x{1D5FF}]+',
  '\\x{10FFFF}',
  '\\x{1F601}',
  '\\x41',
  '\\x{41}+',
  '\\101',
  '\\0',
  '\\012',
  '\\12',
  '\\t',
  '\\n',
  '\\r\\n',
  '\\f\\v\\a',
  '\\.',
  '\\*',
  '\\$',
  '\\\\',
  '\\[\\]',
  '\\{\\}',
  '\\-',
  '\\Qa.b*c\\E',
  '\\Q[[\\E',
  '\\Qa.b',
  '\\Qab\\E+',
  '(?i)k',
  '(?i)s',
  '(?i)ß',
  '(?i)hello',
  '(?i)kelvin',
  '(?i)STRASSE',
  '(?i)σ',
  '(?i)σίσυφος',
  '(?i)[a-z]+',
  '(?i)[k]',
  '(?i)[^k]+',
  '(?i)\\p{Lu}+',
  '(?i)[[:upper:]]+',
  '(?i)i',
  '(?i)ı',
  '(?i)İ',
  '(?i:a)b',
  'a(?i)b',
  'a(?i:B)c',
  '(?i)a(?-i)b',
  '(?i)a(?-i:b)c',
  '(?i)(?:AB|cd)',
  '(?i)\\Qh.\\E',
  '(?U)a+',
  '(?U)a+?',
  '(?U)(a*)(a*)',
  '(?U:a*)a',
  '(?i)(?U)[a-z]+',
  '(?i-U)a+',
  '(?is)H.',
  '(a)|(b)',
  '(a)|b',
  '(?P<first>\\w+) (?P<second>\\w+)',
  '(?<year>\\d+)',
  '(?P<x>a)(?:b)(c)',
  '(a(b(c)))',
  '((a)|(b))',
  '()',
  '(?:)',
  '(|a)',
  '(a|)',
  'a|',
  '|a',
  '(?:a|b)*c',
  'x*y*z*',
  '(\\d+)-(\\d+)',
  '([a-z]+)@([a-z]+)\\.com',
  '/var/log/pods/(.+)_(.+)_.+/(.+)/.*',
  '([^/]+)/([^/]+)',
  '\\.kubernetes\\.io/(.*)',
  '__meta_kubernetes_pod_label_(.+)',
  '(.*?)(\\d*)$',
  '^(.*?)(a*)$',
  'a*?$',
  '(a+|b+)*c',
  '(?:(a)b)+',
  '(?:(a)(b))*',
  '((a)(b))+',
  '(a){2}',
  '(a){0,2}',
  '(a|b){2,3}',
  'a\\b',
  '[\\]]',
  '[]a]',
  '[^]a]',
  '[a-]',
  '[-a]',
  '[a\\-z]',
  '[.]',
  '[$^]',
  '[\\\\]',
  '[\\x00-\\x{10FFFF}]',
  '[^\\x00-\\x{10FFFF}]',
  '[\\n]',
  '[^\\x00-\\x7f]+',
  '[\\p{L}&&]',
  '[[]',
  '[a[]',
  '[\\[]',
  '[[:alpha:]-]+',
  '[\\d-z]+',
  '(((((a)))))',
  'ab*',
  'ab+?c',
  '(ab)*?c',
  '.{3}',
  '.{2,4}',
  '.{0,3}?x',
  '(?s).{2}',
  '(.)(.)',
  '^(.)(.)$',
  '^.{2}$',
  '(?s)^.$',
  '(?i)𐐀',
  '(?i)[𐐀-𐐏]+',
  '(\\d{1,3}\\.){3}\\d{1,3}',
  '^(?s)(?P<time>\\S+?) (?P<stream>stdout|stderr) (?P<flags>\\S+?) (?P<content>.*)$',
  '^(?P<ip>\\S+) \\S+ \\S+ \\[(?P<time>[^\\]]+)\\] "(?P<method>\\S+) (?P<path>\\S+)[^"]*" (?P<status>\\d{3}) (?P<size>\\d+|-)',
  'level=(\\w+)(?:\\s+msg="(.*?)")?',
  '(?m)^\\s*at .*$',
  '(?:(\\w+)=(\\S+)\\s*)+',
  '(\\w+)="([^"]*)"|(\\w+)=(\\S+)',
];

// Patterns JS cannot match the same way (or V8 cannot run in linear time): they run on re2js.
const slowPatterns = [
  '(?:(a)|b)+',
  '(a*)*',
  '(a*)?',
  '(a*)+',
  '(a?)+?',
  '((a)|(b))+',
  '(.*a){20}',
  '(?:|a)*',
  '(?:a|)*',
  '(?:a*)*',
  '(?:a*)+',
  '(?:a?)*?',
  '^*a',
  '(?:^)+a',
  '$*',
  '\\b*x',
  '(?m)^a\\z',
  '\\Aa(?m:$)',
];

function show(ms: RegexMatch[]): string {
  return JSON.stringify(ms.map((m) => [m.index, m.end, m.groups]));
}

describe('translated RegExp matches as re2js does', () => {
  for (const [label, patterns, engine] of [
    ['fast path', fastPatterns, 'regexp'],
    ['fallback', slowPatterns, 're2js'],
  ] as const) {
    it(`${label}: ${patterns.length} patterns × ${inputs.length} inputs`, () => {
      let checked = 0;
      for (const p of patterns) {
        const fast = Regex.compile(p);
        assert.equal(fast.engine, engine, `engine of ${p} (${fast.fallbackReason ?? fast.jsSource})`);
        const ref = Regex.compile(p, { engine: 're2js' });
        assert.deepEqual(fast.groupNames, ref.groupNames, p);
        const template = fast.groupCount > 0 ? '<$0|$1|${2}x>' : '<$0>';
        for (const s of inputs) {
          const ctx = `pattern ${JSON.stringify(p)} (js ${fast.jsSource}) on ${JSON.stringify(s)}`;
          assert.equal(show(fast.execAll(s)), show(ref.execAll(s)), ctx);
          assert.deepEqual(fast.exec(s), ref.exec(s), ctx);
          assert.equal(fast.test(s), ref.test(s), ctx);
          assert.equal(fast.replaceAll(s, template), ref.replaceAll(s, template), ctx);
          checked++;
        }
        // An unterminated \Q swallows the anchoring suffix, in Prometheus as here.
        if (p.includes('\\Q') && !p.includes('\\E')) {
          assert.throws(() => Regex.compileAnchored(p), RegexSyntaxError);
          continue;
        }
        const anchored = Regex.compileAnchored(p);
        const refAnchored = Regex.compileAnchored(p, { engine: 're2js' });
        for (const s of inputs) {
          const ctx = `anchored ${JSON.stringify(p)} on ${JSON.stringify(s)}`;
          assert.deepEqual(anchored.exec(s), refAnchored.exec(s), ctx);
          assert.equal(anchored.test(s), refAnchored.test(s), ctx);
        }
      }
      assert.ok(checked > 0);
    });
  }

  it('works on every code point of a sample across planes', () => {
    const classes = [
      '.',
      '\\pL',
      '\\p{Greek}',
      '(?i)[k-s]',
      '[^a-z]',
      '\\w',
      '\\S',
      '(?i)\\p{Ll}',
      '[[:^space:]]',
    ];
    const codePoints: number[] = [];
    for (let cp = 0; cp < 0x3000; cp += 7) codePoints.push(cp);
    for (let cp = 0x10000; cp <= 0x10ffff; cp += 4099) codePoints.push(cp);
    codePoints.push(0x212a, 0x17f, 0x1e9e, 0x130, 0x131, 0x3c2, 0x1f600, 0x10ffff);
    const text = codePoints
      .filter((cp) => cp < 0xd800 || cp > 0xdfff)
      .map((cp) => String.fromCodePoint(cp))
      .join('');
    for (const p of classes) {
      const fast = Regex.compile(`(${p})`);
      assert.equal(fast.engine, 'regexp', p);
      const ref = Regex.compile(`(${p})`, { engine: 're2js' });
      assert.equal(show(fast.execAll(text)), show(ref.execAll(text)), p);
    }
  });
});

describe('malformed UTF-16', () => {
  it('a lone high surrogate is matched by no class; a lone low surrogate is a code point', () => {
    const r = Regex.compile('.');
    assert.equal(r.engine, 'regexp');
    assert.deepEqual(
      r.execAll('a\ud800b\udc00').map((m) => m.groups[0]),
      ['a', 'b', '\udc00'],
    );
    assert.equal(Regex.compile('^.+$').test('x\ud800'), false);
  });
});

describe('Go semantics of FindAll and ReplaceAll', () => {
  const cases: [string, string, [number, number][]][] = [
    [
      'a*',
      'baaab',
      [
        [0, 0],
        [1, 4],
        [5, 5],
      ],
    ],
    [
      'a*',
      'baaac',
      [
        [0, 0],
        [1, 4],
        [5, 5],
      ],
    ],
    [
      '',
      'abc',
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    ],
    [
      'b*',
      'abc',
      [
        [0, 0],
        [1, 2],
        [3, 3],
      ],
    ],
    [
      'x*',
      '😀',
      [
        [0, 0],
        [2, 2],
      ],
    ],
    [
      'a|b',
      'ab',
      [
        [0, 1],
        [1, 2],
      ],
    ],
  ];
  for (const [p, s, want] of cases) {
    it(`execAll ${p} on ${s}`, () => {
      for (const engine of ['regexp', 're2js'] as const) {
        const r = Regex.compile(p, { engine });
        assert.deepEqual(
          r.execAll(s).map((m) => [m.index, m.end]),
          want,
          engine,
        );
      }
    });
  }
  const replaces: [string, string, string, string][] = [
    ['a*', 'X', 'baaac', 'XbXcX'],
    ['', 'X', 'abc', 'XaXbXcX'],
    ['b*', 'x', 'abc', 'xaxcx'],
    ['a+', '($0)', 'banana', 'b(a)n(a)n(a)'],
    ['a(x*)b', '$1W', '-ab-axxb-', '---'],
    ['a(x*)b', '${1}W', '-ab-axxb-', '-W-xxW-'],
    ['a(?P<foo>x*)b', '$foo', '-ab-axxb-', '--xx-'],
    ['a(?P<foo>x*)b', '${foo}W', '-ab-axxb-', '-W-xxW-'],
    ['a(x*)b', '$$1', '-ab-', '-$1-'],
    ['a(x*)b', '$2', '-axb-', '--'],
    ['a(x*)b', '$nope', '-axb-', '--'],
    ['a(x*)b', '${', '-axb-', '-${-'],
    ['a(x*)b', '${1', '-axb-', '-${1-'],
    ['a(x*)b', '$', '-axb-', '-$-'],
    ['a(x*)b', '$01', '-axb-', '--'],
    ['a(x*)b', '$1é', '-axb-', '--'],
    ['(a)(b)?', '[$2]', 'a', '[]'],
    ['😀', '.', 'a😀b😀', 'a.b.'],
    ['x*', '-', '😀', '-😀-'],
  ];
  for (const [p, tpl, s, want] of replaces) {
    it(`replaceAll ${p} with ${tpl} on ${s}`, () => {
      for (const engine of ['regexp', 're2js'] as const) {
        assert.equal(Regex.compile(p, { engine }).replaceAll(s, tpl), want, engine);
      }
    });
  }
  it('replaceAllLiteral does not expand $', () => {
    assert.equal(Regex.compile('a(x*)b').replaceAllLiteral('-axb-', '$1'), '-$1-');
  });
  it('replaceEach hands each match with its groups', () => {
    const r = Regex.compile('(\\w)(\\d)');
    assert.equal(
      r.replaceEach('a1 b2 c', (m) => `${m.groups[2]}${m.groups[1]}`),
      '1a 2b c',
    );
  });
  it('expand names groups as Go does', () => {
    const r = Regex.compile('(?P<first>\\w+) (?P<second>\\w+)');
    const m = r.exec('hello world');
    assert.ok(m);
    assert.equal(r.expand('$second $first ${first}x $1x $$ $3 $0', m), 'world hello hellox  $  hello world');
    assert.deepEqual(r.groupNames, [undefined, 'first', 'second']);
    assert.equal(r.groupCount, 2);
  });
});

describe('catastrophic patterns stay linear', () => {
  it('return quickly on adversarial input', () => {
    const cases: [string, string][] = [
      ['(a+)+$', `${'a'.repeat(5000)}b`],
      ['^(a+)+$', `${'a'.repeat(5000)}b`],
      ['(a|a)*b', 'a'.repeat(5000)],
      ['(a|aa)+$', `${'a'.repeat(5000)}b`],
      ['(.*a){20}', 'a'.repeat(2000)],
      ['(.*a){12}x', 'a'.repeat(2000)],
      ['(x+x+)+y', 'x'.repeat(5000)],
      ['^(\\w+\\s?)*$', `${'word '.repeat(1000)}!`],
      ['(?i)(a+)+$', `${'A'.repeat(5000)}b`],
      ['(\\pL+)+$', `${'é'.repeat(3000)}1`],
      ['(.*)*x', 'y'.repeat(3000)],
      ['(?:.*,){10}z', ','.repeat(3000)],
    ];
    const start = performance.now();
    for (const [p, s] of cases) {
      const r = Regex.compile(p);
      r.test(s);
      r.exec(s);
      Regex.compileAnchored(p).test(s);
    }
    const ms = performance.now() - start;
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });
});

describe('RegexSyntaxError as Go reports it', () => {
  const bad: [string, string][] = [
    ['(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'error parsing regexp: invalid named capture: `(?<=a)b`'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
    ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
    ['a{2,1}', 'error parsing regexp: invalid repeat count: `{2,1}`'],
    ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
    ['*a', 'error parsing regexp: missing argument to repetition operator: `*`'],
    ['(a', 'error parsing regexp: missing closing ): `(a`'],
    ['a)', 'error parsing regexp: unexpected ): `a)`'],
    ['[a', 'error parsing regexp: missing closing ]: `[a`'],
    ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
    ['[[:foo:]]', 'error parsing regexp: invalid character class range: `[:foo:]`'],
    ['\\p{Foo}', 'error parsing regexp: invalid character class range: `\\p{Foo}`'],
    ['\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
    ['\\C', 'error parsing regexp: invalid escape sequence: `\\C`'],
    ['(?P<n>a)(?P<n>b)', 'error parsing regexp: duplicate capture group name: `n`'],
    ['(?x)a', 'error parsing regexp: invalid or unsupported Perl syntax: `(?x`'],
    ['\\x{110000}', 'error parsing regexp: invalid escape sequence: `\\x{110000`'],
  ];
  for (const [p, msg] of bad) {
    it(`rejects ${p}`, () => {
      assert.throws(
        () => Regex.compile(p),
        (e: unknown) => e instanceof RegexSyntaxError && e.message === msg,
      );
    });
  }
});

/** The first match's group spans from execAllIndex; the whole match (index 0) left out. */
function firstMatchSpans(expression: string, input: string): (readonly [number, number] | undefined)[] {
  const m = Regex.compile(expression).execAllIndex(input)[0];
  if (m === undefined) return [];
  const spans: (readonly [number, number] | undefined)[] = [undefined];
  for (let i = 2; i < m.length; i += 2) spans.push(m[i]! < 0 ? undefined : [m[i]!, m[i + 1]!]);
  return spans;
}

describe('Go-style submatch offsets (execAllIndex), as the replace stage uses them', () => {
  const rows: [string, string, ([number, number] | undefined)[]][] = [
    ['(\\d+)-(\\d+)', '5-5', [undefined, [0, 1], [2, 3]]],
    ['(a).*(a)', 'aaa', [undefined, [0, 1], [2, 3]]],
    ['x(a*)', 'x', [undefined, [1, 1]]],
    ['((a)(b))+', 'abab', [undefined, [2, 4], [2, 3], [3, 4]]],
    ['(?:(a)?b)+', 'abb', [undefined, [0, 1]]],
    ['a(?i)b(c)', 'aBC', [undefined, [2, 3]]],
    ['\\Qa.b\\E(c)', 'a.bc', [undefined, [3, 4]]],
    ['[()|](x)', '(x', [undefined, [1, 2]]],
    ['(a)|(b)', 'b', [undefined, undefined, [0, 1]]],
    ['(?P<n>\\d)+', '123', [undefined, [2, 3]]],
  ];
  for (const [expression, input, want] of rows) {
    it(`${expression} on ${JSON.stringify(input)}`, () => {
      assert.deepEqual(firstMatchSpans(expression, input), want);
    });
  }
});
