// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Prometheus templates write ${1}, not JS
// Prometheus relabeling, one row per action and option, with Prometheus's own test cases and
// hashmod values, and config validation errors naming file, line and key.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { hashmod, parseRelabelRules, relabel } from '../../src/relabel/relabel.js';
import type { LabelSet } from '../../src/types.js';

function rules(yaml: string, file = 'relabel.yaml') {
  return parseRelabelRules(ConfigNode.parse(`relabel_configs:\n${yaml}`, file).get('relabel_configs'));
}

interface Row {
  name: string;
  input: LabelSet;
  rules: string;
  /** null: the target is dropped. */
  output: LabelSet | null;
}

const rows: Row[] = [
  // Prometheus relabel_test.go
  {
    name: 'replace with ${1} twice',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: `
  - source_labels: [a]
    regex: f(.*)
    target_label: d
    replacement: ch\${1}-ch\${1}`,
    output: { a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' },
  },
  {
    name: 'replace from two sources, then from the replaced label',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: `
  - source_labels: [a, b]
    regex: f(.*);(.*)r
    target_label: a
    separator: ";"
    replacement: b\${1}\${2}m
  - source_labels: [c, a]
    regex: (b).*b(.*)ba(.*)
    target_label: d
    replacement: $1$2$2$3`,
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  {
    name: 'drop stops before later rules',
    input: { a: 'foo' },
    rules: `
  - source_labels: [a]
    regex: .*o.*
    action: drop
  - source_labels: [a]
    regex: f(.*)
    target_label: d
    replacement: ch$1-ch$1`,
    output: null,
  },
  {
    name: 'replace with a group in the middle',
    input: { a: 'abc' },
    rules: `
  - source_labels: [a]
    regex: .*(b).*
    target_label: d`,
    output: { a: 'abc', d: 'b' },
  },
  {
    name: 'drop: no match keeps',
    input: { a: 'foo' },
    rules: `
  - source_labels: [a]
    regex: no-match
    action: drop`,
    output: { a: 'foo' },
  },
  {
    name: 'drop: regex is anchored (f|o does not match foo)',
    input: { a: 'foo' },
    rules: `
  - source_labels: [a]
    regex: f|o
    action: drop`,
    output: { a: 'foo' },
  },
  {
    name: 'keep: no match drops',
    input: { a: 'foo' },
    rules: `
  - source_labels: [a]
    regex: no-match
    action: keep`,
    output: null,
  },
  {
    name: 'keep: match keeps',
    input: { a: 'foo' },
    rules: `
  - source_labels: [a]
    regex: f.*
    action: keep`,
    output: { a: 'foo' },
  },
  {
    name: 'replace: no match, no replacement',
    input: { a: 'boo' },
    rules: `
  - source_labels: [a]
    regex: f
    target_label: b
    replacement: bar`,
    output: { a: 'boo' },
  },
  {
    name: 'hashmod baz % 1000 = 976 (Prometheus)',
    input: { a: 'foo', b: 'bar', c: 'baz' },
    rules: `
  - source_labels: [c]
    target_label: d
    action: hashmod
    modulus: 1000`,
    output: { a: 'foo', b: 'bar', c: 'baz', d: '976' },
  },
  {
    name: 'hashmod "foo\\nbar" % 1000 = 734 (Prometheus)',
    input: { a: 'foo\nbar' },
    rules: `
  - source_labels: [a]
    target_label: b
    action: HashMod
    modulus: 1000`,
    output: { a: 'foo\nbar', b: '734' },
  },
  // Promtail 3.x (Prometheus 3): regexes are anchored as ^(?s:...)$, so `.` matches a newline.
  {
    name: 'Promtail 3.x: . matches a newline in a multi-line value (keep)',
    input: { __meta_annotation: 'line1\nmiddle\nline2' },
    rules: `
  - source_labels: [__meta_annotation]
    regex: line1.*line2
    action: keep`,
    output: { __meta_annotation: 'line1\nmiddle\nline2' },
  },
  {
    name: 'Promtail 3.x: the default regex (.*) copies a multi-line value whole',
    input: { a: 'x\ny' },
    rules: `
  - source_labels: [a]
    target_label: b`,
    output: { a: 'x\ny', b: 'x\ny' },
  },
  {
    name: 'Promtail 3.x: a capture group spans newlines',
    input: { a: 'first\nsecond' },
    rules: `
  - source_labels: [a]
    regex: first(.*)
    target_label: b
    replacement: $1`,
    output: { a: 'first\nsecond', b: '\nsecond' },
  },
  {
    name: 'labelmap with ${1}',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: `
  - regex: (b.*)
    replacement: bar_\${1}
    action: labelmap`,
    output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap of __meta_ labels',
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    rules: `
  - regex: __meta_(my.*)
    replacement: \${1}
    action: labelmap`,
    output: {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  },
  {
    name: 'target label from a group',
    input: { a: 'some-name-value' },
    rules: `
  - source_labels: [a]
    regex: some-([^-]+)-([^,]+)
    replacement: \${2}
    target_label: \${1}`,
    output: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'empty replacement for a missing target deletes nothing',
    input: { a: 'some-name-value' },
    rules: `
  - source_labels: [a]
    regex: some-([^-]+)-([^,]+)
    replacement: \${3}
    target_label: \${1}`,
    output: { a: 'some-name-value' },
  },
  {
    name: 'target label that expands to nothing is skipped',
    input: { a: 'some-name-0' },
    rules: `
  - source_labels: [a]
    regex: some-([^-]+)-([^,]+)
    replacement: \${1}
    target_label: \${3}
  - source_labels: [a]
    regex: some-([^-]+)(-[^,]+)
    replacement: \${1}
    target_label: \${3}`,
    output: { a: 'some-name-0' },
  },
  {
    name: 'real-life tags',
    input: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    rules: `
  - source_labels: [__meta_sd_tags]
    regex: "(?:.+,|^)path:(/[^,]+).*"
    replacement: \${1}
    target_label: __metrics_path__
  - source_labels: [__meta_sd_tags]
    regex: "(?:.+,|^)job:([^,]+).*"
    replacement: \${1}
    target_label: job
  - source_labels: [__meta_sd_tags]
    regex: "(?:.+,|^)label:([^=]+)=([^,]+).*"
    replacement: \${2}
    target_label: \${1}`,
    output: {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    },
  },
  {
    name: 'labeldrop then replace then keep (Prometheus issue 12283)',
    input: {
      __meta_kubernetes_pod_container_port_name: 'foo',
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
    },
    rules: `
  - regex: ^__meta_kubernetes_pod_container_port_name$
    action: labeldrop
  - source_labels: [__meta_kubernetes_pod_annotation_XXX_metrics_port]
    regex: (.+)
    replacement: metrics
    target_label: __meta_kubernetes_pod_container_port_name
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    regex: ^metrics$
    action: keep`,
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    },
  },
  {
    name: 'labelkeep',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: `
  - regex: (b.*)
    action: labelkeep`,
    output: { b1: 'bar', b2: 'baz' },
  },
  {
    name: 'labeldrop',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    rules: `
  - regex: (b.*)
    action: labeldrop`,
    output: { a: 'foo' },
  },
  {
    name: 'uppercase and lowercase',
    input: { foo: 'bAr123Foo' },
    rules: `
  - source_labels: [foo]
    action: uppercase
    target_label: foo_uppercase
  - source_labels: [foo]
    action: lowercase
    target_label: foo_lowercase`,
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  {
    name: 'keepequal: equal keeps',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: `
  - source_labels: [__tmp_port]
    action: keepequal
    target_label: __port1`,
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'dropequal: equal drops',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: `
  - source_labels: [__tmp_port]
    action: dropequal
    target_label: __port1`,
    output: null,
  },
  {
    name: 'dropequal: different keeps',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: `
  - source_labels: [__tmp_port]
    action: dropequal
    target_label: __port2`,
    output: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
  },
  {
    name: 'keepequal: different drops',
    input: { __tmp_port: '1234', __port1: '1234', __port2: '5678' },
    rules: `
  - source_labels: [__tmp_port]
    action: keepequal
    target_label: __port2`,
    output: null,
  },
  // Defaults and edge cases
  {
    name: 'defaults: regex (.*), replacement $1, action replace',
    input: { a: 'x' },
    rules: `
  - source_labels: [a]
    target_label: b`,
    output: { a: 'x', b: 'x' },
  },
  {
    name: 'missing labels read as empty; empty result deletes the target',
    input: { a: 'x', b: 'old' },
    rules: `
  - source_labels: [nope]
    target_label: b`,
    output: { a: 'x' },
  },
  {
    name: 'no source labels: a constant replacement sets a label',
    input: { a: 'x' },
    rules: `
  - target_label: env
    replacement: prod`,
    output: { a: 'x', env: 'prod' },
  },
  {
    name: 'empty source values joined by the separator',
    input: { a: '', b: 'y' },
    rules: `
  - source_labels: [a, missing, b]
    separator: "|"
    target_label: c`,
    output: { a: '', b: 'y', c: '||y' },
  },
  {
    name: 'empty separator',
    input: { a: 'x', b: 'y' },
    rules: `
  - source_labels: [a, b]
    separator: ""
    target_label: c`,
    output: { a: 'x', b: 'y', c: 'xy' },
  },
  {
    name: 'keep matches the empty value of a missing label',
    input: { a: 'x' },
    rules: `
  - source_labels: [missing]
    regex: ""
    action: keep`,
    output: { a: 'x' },
  },
  {
    name: 'drop with the default regex drops everything',
    input: { a: 'x' },
    rules: `
  - action: drop`,
    output: null,
  },
  {
    name: 'replace: target expands to an invalid name, skipped',
    input: { a: 'bad-name' },
    rules: `
  - source_labels: [a]
    target_label: $1`,
    output: { a: 'bad-name' },
  },
  {
    name: 'replace: $1x names group 1x (empty), ${1}x does not',
    input: { a: 'v' },
    rules: `
  - source_labels: [a]
    target_label: b
    replacement: $1x
  - source_labels: [a]
    target_label: c
    replacement: \${1}x`,
    output: { a: 'v', c: 'vx' },
  },
  {
    name: 'replace: named groups and $$',
    input: { a: 'host:8080' },
    rules: `
  - source_labels: [a]
    regex: (?P<host>[^:]+):(?P<port>\\d+)
    target_label: addr
    replacement: $port@\${host}$$`,
    output: { a: 'host:8080', addr: '8080@host$' },
  },
  {
    name: 'replace overwrites an existing label',
    input: { job: 'old', a: 'new' },
    rules: `
  - source_labels: [a]
    target_label: job`,
    output: { job: 'new', a: 'new' },
  },
  {
    name: 'regex is anchored: a partial match does nothing',
    input: { a: 'xfoox' },
    rules: `
  - source_labels: [a]
    regex: foo
    target_label: b
    replacement: hit`,
    output: { a: 'xfoox' },
  },
  {
    name: 'regex alternation is anchored as a whole',
    input: { a: 'ab' },
    rules: `
  - source_labels: [a]
    regex: a|ab
    target_label: b
    replacement: hit`,
    output: { a: 'ab', b: 'hit' },
  },
  {
    name: 'regex in RE2 syntax: named group, (?i), \\pL',
    input: { a: 'GRÜẞE-42' },
    rules: `
  - source_labels: [a]
    regex: (?i)(?P<word>\\pL+)-(\\d+)
    target_label: b
    replacement: \${word}_$2`,
    output: { a: 'GRÜẞE-42', b: 'GRÜẞE_42' },
  },
  {
    name: 'labelmap: later source wins when two map to one name',
    input: { __meta_x_a: '1', __meta_y_a: '2' },
    rules: `
  - regex: __meta_[xy]_(.+)
    action: labelmap`,
    output: { __meta_x_a: '1', __meta_y_a: '2', a: '2' },
  },
  {
    name: 'labelmap: replaceAll over the whole name',
    input: { __meta_kubernetes_pod_label_app: 'web' },
    rules: `
  - regex: __meta_kubernetes_pod_label_(.+)
    action: labelmap
    replacement: k8s_$1`,
    output: { __meta_kubernetes_pod_label_app: 'web', k8s_app: 'web' },
  },
  {
    name: 'labelmap sees labels set by earlier rules',
    input: { a: '1' },
    rules: `
  - target_label: __tmp_b
    replacement: two
  - regex: __tmp_(.+)
    action: labelmap`,
    output: { a: '1', __tmp_b: 'two', b: 'two' },
  },
  {
    name: 'lowercase of Unicode as Go: İ → i, Σ at the end stays σ',
    input: { a: 'İSTANBUL ΟΔΟΣ' },
    rules: `
  - source_labels: [a]
    action: lowercase
    target_label: b`,
    output: { a: 'İSTANBUL ΟΔΟΣ', b: 'istanbul οδοσ' },
  },
  {
    name: 'uppercase of Unicode as Go: ß and ligatures stay, ᾳ → ᾼ',
    input: { a: 'straße ﬁ ᾳ ǆ café' },
    rules: `
  - source_labels: [a]
    action: uppercase
    target_label: b`,
    output: { a: 'straße ﬁ ᾳ ǆ café', b: 'STRAßE ﬁ ᾼ Ǆ CAFÉ' },
  },
  {
    name: 'lowercase of an empty value deletes the target',
    input: { a: 'x', b: 'old' },
    rules: `
  - source_labels: [missing]
    action: lowercase
    target_label: b`,
    output: { a: 'x' },
  },
  {
    name: 'keepequal with a missing target compares with empty',
    input: { a: '' },
    rules: `
  - source_labels: [missing]
    action: keepequal
    target_label: nothere`,
    output: { a: '' },
  },
  {
    name: 'hashmod of several sources joined by the separator',
    input: { a: 'foo', b: 'bar' },
    rules: `
  - source_labels: [a, b]
    separator: "\\n"
    action: hashmod
    target_label: shard
    modulus: 1000`,
    output: { a: 'foo', b: 'bar', shard: '734' },
  },
  {
    name: 'labeldrop then labelkeep',
    input: { a: '1', b: '2', c: '3' },
    rules: `
  - regex: a
    action: labeldrop
  - regex: b|a
    action: labelkeep`,
    output: { b: '2' },
  },
  {
    name: 'a set then deleted label is gone',
    input: { a: '1' },
    rules: `
  - target_label: b
    replacement: x
  - regex: b
    action: labeldrop`,
    output: { a: '1' },
  },
  {
    name: 'action is case-insensitive',
    input: { a: 'x' },
    rules: `
  - source_labels: [a]
    regex: y
    action: KEEP`,
    output: null,
  },
];

describe('relabel', () => {
  for (const row of rows) {
    it(row.name, () => {
      const input = structuredClone(row.input);
      const out = relabel(input, rules(row.rules));
      assert.deepEqual(out, row.output);
      assert.deepEqual(input, row.input, 'input must not change');
    });
  }

  it('returns the same object when nothing changed', () => {
    const input = { a: 'x' };
    assert.equal(relabel(input, rules('  - source_labels: [a]\n    regex: x\n    action: keep')), input);
    assert.equal(relabel(input, rules('  - source_labels: [a]\n    target_label: a')), input);
    assert.equal(relabel(input, []), input);
  });

  it('a label named __proto__ is a plain label', () => {
    const out = relabel({ a: 'x' }, rules('  - target_label: __proto__\n    replacement: p'));
    assert.ok(out);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.entries(out), [
      ['a', 'x'],
      ['__proto__', 'p'],
    ]);
  });

  it('hashmod matches Prometheus values', () => {
    assert.equal(hashmod('baz', 1000), 976n);
    assert.equal(hashmod('foo\nbar', 1000), 734n);
    // A modulus above 2^32 uses all 64 bits of the hash tail.
    assert.equal(hashmod('baz', 2 ** 53 - 1) < 2n ** 53n, true);
  });
});

describe('parseRelabelRules', () => {
  it('reads every field, defaults, line and text', () => {
    const [a, b] = rules(`
  - source_labels: [__meta_a, __meta_b]
    separator: "-"
    regex: (.+)
    target_label: x
    replacement: y$1
    action: Replace
  - source_labels: [c]
    action: hashmod
    target_label: shard
    modulus: 8
`);
    assert.ok(a && b);
    assert.deepEqual(
      { ...a, regex: a.regex.source, text: undefined },
      {
        sourceLabels: ['__meta_a', '__meta_b'],
        separator: '-',
        regex: '^(?s:(.+))$',
        modulus: 0,
        targetLabel: 'x',
        replacement: 'y$1',
        action: 'replace',
        line: 3,
        text: undefined,
      },
    );
    assert.match(a.text, /source_labels:/);
    assert.match(a.text, /replacement: y\$1/);
    assert.equal(b.line, 9);
    assert.equal(b.separator, ';');
    assert.equal(b.replacement, '$1');
    assert.equal(b.regex.source, '^(?s:(.*))$');
    assert.equal(b.modulus, 8);
    assert.deepEqual(rules('  []'), []);
  });

  const bad: [string, string, number, string, string][] = [
    // [name, rule yaml, line, key, reason (substring)]
    [
      'unknown action',
      '  - action: rename',
      2,
      'relabel_configs[0].action',
      'unknown relabel action "rename"',
    ],
    ['empty action', '  - action: ""', 2, 'relabel_configs[0].action', 'unknown relabel action ""'],
    ['unknown key', '  - source_labels: [a]\n    target: b', 3, 'relabel_configs[0].target', 'unknown key'],
    [
      'invalid regex',
      '  - regex: "(?=x)"',
      2,
      'relabel_configs[0].regex',
      'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ],
    [
      'bad source label',
      '  - source_labels: [ok, "not-ok"]\n    target_label: x',
      2,
      'relabel_configs[0].source_labels[1]',
      '"not-ok" is not a valid label name',
    ],
    [
      'source_labels not a list',
      '  - source_labels: a\n    target_label: x',
      2,
      'relabel_configs[0].source_labels',
      'expected a list',
    ],
    [
      'replace without target',
      '  - source_labels: [a]',
      2,
      'relabel_configs[0].target_label',
      "relabel configuration for replace action requires 'target_label' value",
    ],
    [
      'hashmod without modulus',
      '  - action: hashmod\n    target_label: x',
      2,
      'relabel_configs[0].modulus',
      'requires non-zero modulus',
    ],
    [
      'hashmod modulus 0',
      '  - action: hashmod\n    target_label: x\n    modulus: 0',
      4,
      'relabel_configs[0].modulus',
      'requires non-zero modulus',
    ],
    [
      'negative modulus',
      '  - action: hashmod\n    target_label: x\n    modulus: -2',
      4,
      'relabel_configs[0].modulus',
      'must not be negative',
    ],
    [
      'hashmod without target',
      '  - action: hashmod\n    modulus: 2',
      2,
      'relabel_configs[0].target_label',
      "requires 'target_label'",
    ],
    [
      'hashmod invalid target',
      '  - action: hashmod\n    modulus: 2\n    target_label: a-b',
      4,
      'relabel_configs[0].target_label',
      '"a-b" is invalid \'target_label\' for hashmod action',
    ],
    [
      'replace invalid target',
      '  - target_label: 1abc',
      2,
      'relabel_configs[0].target_label',
      '"1abc" is invalid \'target_label\' for replace action',
    ],
    [
      'replace invalid template target',
      '  - target_label: "-${1}"',
      2,
      'relabel_configs[0].target_label',
      '"-${1}" is invalid \'target_label\' for replace action',
    ],
    [
      'replace template target 0${3}',
      '  - target_label: "0${3}"',
      2,
      'relabel_configs[0].target_label',
      'is invalid',
    ],
    [
      'lowercase without target',
      '  - action: lowercase',
      2,
      'relabel_configs[0].target_label',
      "requires 'target_label' value",
    ],
    [
      'lowercase template target',
      '  - action: lowercase\n    target_label: "${3}"',
      3,
      'relabel_configs[0].target_label',
      '"${3}" is invalid \'target_label\'',
    ],
    [
      'uppercase with replacement',
      '  - action: uppercase\n    target_label: x\n    replacement: y',
      4,
      'relabel_configs[0].replacement',
      "'replacement' can not be set for uppercase action",
    ],
    [
      'keepequal with regex',
      '  - action: keepequal\n    target_label: x\n    regex: (.*)',
      4,
      'relabel_configs[0].regex',
      "keepequal action requires only 'source_labels' and 'target_label'",
    ],
    [
      'dropequal with separator',
      '  - action: dropequal\n    target_label: x\n    separator: ","',
      4,
      'relabel_configs[0].separator',
      'dropequal action requires only',
    ],
    [
      'dropequal with modulus',
      '  - action: dropequal\n    target_label: x\n    modulus: 3',
      4,
      'relabel_configs[0].modulus',
      'dropequal action requires only',
    ],
    [
      'labeldrop with source_labels',
      '  - action: labeldrop\n    regex: a\n    source_labels: []',
      4,
      'relabel_configs[0].source_labels',
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [
      'labelkeep with target',
      '  - action: labelkeep\n    regex: a\n    target_label: b',
      4,
      'relabel_configs[0].target_label',
      'labelkeep action requires only',
    ],
    [
      'labelkeep with replacement',
      '  - action: labelkeep\n    replacement: b',
      3,
      'relabel_configs[0].replacement',
      'labelkeep action requires only',
    ],
    [
      'labelmap invalid replacement',
      '  - action: labelmap\n    replacement: "a-$1"',
      3,
      'relabel_configs[0].replacement',
      '"a-$1" is invalid \'replacement\' for labelmap action',
    ],
    ['rule is not a mapping', '  - drop', 2, 'relabel_configs[0]', 'expected a mapping'],
  ];
  for (const [name, yaml, line, key, reason] of bad) {
    it(`rejects: ${name}`, () => {
      assert.throws(
        () => rules(yaml, 'conf/promtail.yaml'),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.equal(e.file, 'conf/promtail.yaml');
          assert.equal(e.line, line, e.message);
          assert.equal(e.key, key, e.message);
          assert.ok(e.reason.includes(reason), `${e.reason} should include ${reason}`);
          return true;
        },
      );
    });
  }

  it('accepts what Prometheus accepts', () => {
    const ok = [
      '  - target_label: "${1}"\n    regex: (a)',
      '  - target_label: "foo${bar}foo"',
      '  - target_label: "_${1}_"',
      '  - target_label: "asd$2asd"',
      '  - action: Replace\n    target_label: x',
      '  - action: labelmap\n    regex: (.*)',
      '  - action: keepequal\n    source_labels: [a]\n    target_label: b\n    separator: ";"',
      '  - action: labeldrop\n    regex: x\n    separator: ";"\n    replacement: $1',
      '  - source_labels: [a]\n    regex: 123\n    action: keep',
    ];
    for (const yaml of ok) assert.doesNotThrow(() => rules(yaml), yaml);
  });
});
