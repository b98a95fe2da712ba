// The relabel trace behind --explain and /service-discovery: each step's labels are what
// `relabel` gives for the rules so far, so the trace's end always equals `relabel`; the first
// dropping rule is found (by the trace and by the binary search), and rules that do nothing are
// marked unchanged.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigNode } from '../../src/config/reader.js';
import { parseRelabelRules, relabel } from '../../src/relabel/relabel.js';
import { diffLabels, findDroppingRule, traceRelabel } from '../../src/relabel/trace.js';
import type { LabelSet } from '../../src/types.js';

const rules = (yaml: string) => parseRelabelRules(ConfigNode.parse(yaml, 'rules.yaml'));

const target: LabelSet = {
  __address__: '10.0.0.1',
  __meta_kubernetes_namespace: 'shop',
  __meta_kubernetes_pod_label_app: 'web',
  __meta_kubernetes_pod_label_tier: 'front',
  __meta_kubernetes_pod_name: 'web-1',
};

const table: { name: string; yaml: string; effects: string[]; dropAt?: number }[] = [
  {
    name: 'replace, a keep that keeps, labelmap, labeldrop',
    yaml: `
- {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
- {source_labels: [namespace], regex: shop|cart, action: keep}
- {regex: __meta_kubernetes_pod_label_(.+), action: labelmap}
- {regex: tier, action: labeldrop}
- {source_labels: [nothing], target_label: empty}
`,
    effects: ['changed', 'unchanged', 'changed', 'changed', 'unchanged'],
  },
  {
    name: 'a drop after changes',
    yaml: `
- {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
- {source_labels: [pod], regex: web-.*, action: drop}
- {source_labels: [pod], target_label: never}
`,
    effects: ['changed', 'dropped'],
    dropAt: 1,
  },
  {
    name: 'labelmap onto a label an earlier rule set (the builder order decides)',
    yaml: `
- {source_labels: [__meta_kubernetes_pod_name], target_label: __meta_kubernetes_pod_label_app}
- {regex: __meta_kubernetes_pod_label_(.+), action: labelmap}
- {action: labelkeep, regex: app|tier|__address__}
- {source_labels: [app], target_label: app, action: uppercase}
- {source_labels: [app], regex: WEB-1, action: keep}
`,
    effects: ['changed', 'changed', 'changed', 'changed', 'unchanged'],
  },
  {
    name: 'hashmod, then keepequal that drops',
    yaml: `
- {source_labels: [__address__], modulus: 4, target_label: shard, action: hashmod}
- {source_labels: [__address__], target_label: shard, action: keepequal}
`,
    effects: ['changed', 'dropped'],
    dropAt: 1,
  },
];

describe('relabel trace', () => {
  for (const c of table) {
    it(c.name, () => {
      const rs = rules(c.yaml);
      const trace = traceRelabel(target, rs);
      assert.deepEqual(
        trace.steps.map((s) => s.effect),
        c.effects,
      );
      assert.deepEqual(trace.result, relabel(target, rs), 'the trace ends where relabel does');
      for (const s of trace.steps) {
        assert.deepEqual(s.after, relabel(target, rs.slice(0, s.index + 1)), `step ${s.index}`);
        if (s.index > 0) assert.deepEqual(s.before, trace.steps[s.index - 1]!.after);
      }
      assert.equal(trace.droppedBy?.index, c.dropAt);
      const found = findDroppingRule(target, rs);
      assert.equal(found?.index, c.dropAt);
      if (found) assert.deepEqual(found.labels, trace.droppedBy!.before, 'the labels the dropping rule saw');
    });
  }

  it('finds the first dropping rule among many', () => {
    const many = rules(
      Array.from({ length: 40 }, (_, i) =>
        i === 27
          ? '- {source_labels: [__meta_kubernetes_namespace], regex: shop, action: drop}'
          : `- {source_labels: [__meta_kubernetes_pod_name], target_label: l${i}}`,
      ).join('\n'),
    );
    const found = findDroppingRule(target, many)!;
    assert.equal(found.index, 27);
    assert.equal(found.rule.line, 28);
    assert.equal(found.labels.l26, 'web-1');
    assert.equal(found.labels.l28, undefined);
    assert.equal(findDroppingRule(target, many.slice(0, 27)), undefined);
  });

  it('diffs label sets', () => {
    assert.deepEqual(diffLabels({ a: '1', b: '2', c: '3' }, { a: '1', b: '20', d: '4' }), {
      added: { d: '4' },
      removed: { c: '3' },
      changed: { b: ['2', '20'] },
    });
  });
});
