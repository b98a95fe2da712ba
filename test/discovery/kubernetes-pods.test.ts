// The pod role's labels, target by target, from a cluster fixture served by the fake API server
// and read through the real @kubernetes/client-node: init containers and sidecars, several ports,
// dotted and slashed label names, annotations, DaemonSet/StatefulSet/Job/ReplicaSet owners, a
// pending pod without an IP, an IPv6 pod, and a pod on another node that must not appear.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { podTargetGroup, sanitizeLabelName } from '../../src/discovery/kubernetes-labels.js';
import type { LabelSet, TargetGroup } from '../../src/types.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { startDiscovery } from './kube-harness.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures/k8s');
const cluster = JSON.parse(readFileSync(resolve(fixtures, 'cluster.json'), 'utf8'));
const expected: TargetGroup[] = JSON.parse(readFileSync(resolve(fixtures, 'cluster.expected.json'), 'utf8'));

function withoutMetadata(labels: LabelSet): LabelSet {
  return Object.fromEntries(
    Object.entries(labels).filter(
      ([k]) => !k.startsWith('__meta_kubernetes_node_') && !k.startsWith('__meta_kubernetes_namespace_'),
    ),
  );
}

function assertGroups(got: Map<string, TargetGroup>, want: TargetGroup[]): void {
  assert.deepEqual([...got.keys()].sort(), want.map((g) => g.source).sort(), 'one group per pod of node-a');
  for (const w of want) {
    const g = got.get(w.source)!;
    assert.deepEqual(g.labels, w.labels, `${w.source}: group labels`);
    assert.equal(g.targets.length, w.targets.length, `${w.source}: number of targets`);
    for (const [i, t] of w.targets.entries()) assert.deepEqual(g.targets[i], t, `${w.source}: target ${i}`);
  }
}

describe('kubernetes_sd_configs role pod: labels', () => {
  let api: FakeKubeApi;
  before(async () => {
    api = await FakeKubeApi.start();
    api.load(cluster);
  });
  after(() => api.close());

  it('gives exactly the expected labels with attach_metadata node and namespace', async () => {
    const d = await startDiscovery(api, 'role: pod\nattach_metadata: { node: true, namespace: true }\n');
    try {
      assertGroups(d.groups, expected);
    } finally {
      await d.stop();
    }
  });

  it('gives no node or namespace labels without attach_metadata, and watches only pods', async () => {
    const first = api.requests.length;
    const d = await startDiscovery(api, 'role: pod\n');
    try {
      assertGroups(
        d.groups,
        expected.map((g) => ({ ...g, labels: withoutMetadata(g.labels) })),
      );
      const resources = new Set(api.requests.slice(first).map((r) => r.resource));
      assert.deepEqual([...resources], ['pods']);
      const list = api.requests.slice(first).find((r) => r.verb === 'list')!;
      assert.equal(list.path, '/api/v1/pods');
      assert.equal(list.query.fieldSelector, 'spec.nodeName=node-a');
    } finally {
      await d.stop();
    }
  });

  it('re-emits the pods of a node or namespace whose metadata changes', async () => {
    const d = await startDiscovery(api, 'role: pod\nattach_metadata: { node: true, namespace: true }\n');
    try {
      api.modify('nodes', 'node-a', (n) => {
        n.metadata.labels!['topology.kubernetes.io/zone'] = 'eu-west-1c';
      });
      await d.until(
        () =>
          [...d.groups.values()].every(
            (g) => g.labels.__meta_kubernetes_node_label_topology_kubernetes_io_zone === 'eu-west-1c',
          ),
        'every pod of node-a to carry the new zone',
      );
      api.modify('namespaces', 'monitoring', (n) => {
        delete n.metadata.labels!.team;
      });
      await d.until(
        () =>
          d.groups.get('pod/monitoring/node-exporter-k9fqz')!.labels
            .__meta_kubernetes_namespace_label_team === undefined,
        'the namespace label to go',
      );
      assert.equal(
        d.groups.get('pod/default/db-0')!.labels
          .__meta_kubernetes_namespace_label_kubernetes_io_metadata_name,
        'default',
      );
    } finally {
      await d.stop();
      api.modify('nodes', 'node-a', (n) => {
        n.metadata.labels!['topology.kubernetes.io/zone'] = 'eu-west-1b';
      });
      api.modify('namespaces', 'monitoring', (n) => {
        n.metadata.labels!.team = 'observability';
      });
    }
  });
});

describe('pod labels: the rules', () => {
  const sanitized: [string, string][] = [
    ['app.kubernetes.io/name', 'app_kubernetes_io_name'],
    ['pod-template-hash', 'pod_template_hash'],
    ['already_fine_09', 'already_fine_09'],
    ['ünïcode', '_n_code'],
    ['emoji🙂key', 'emoji_key'],
    ['', ''],
  ];
  for (const [name, want] of sanitized) {
    it(`sanitises ${JSON.stringify(name)} as Prometheus does`, () =>
      assert.equal(sanitizeLabelName(name), want));
  }

  const ready: [string, { type: string; status: string }[] | undefined, string][] = [
    ['True', [{ type: 'Ready', status: 'True' }], 'true'],
    ['False', [{ type: 'Ready', status: 'False' }], 'false'],
    ['Unknown', [{ type: 'Ready', status: 'Unknown' }], 'unknown'],
    ['no Ready condition', [{ type: 'PodScheduled', status: 'True' }], 'unknown'],
    ['no conditions', undefined, 'unknown'],
  ];
  for (const [name, conditions, want] of ready) {
    it(`pod_ready is "${want}" for ${name}`, () => {
      const g = podTargetGroup({ metadata: { name: 'p', namespace: 'n' }, status: { conditions } });
      assert.equal(g.labels.__meta_kubernetes_pod_ready, want);
    });
  }

  it('has no controller labels without an owner marked controller, and none for empty kind or name', () => {
    const g = podTargetGroup({
      metadata: {
        name: 'p',
        namespace: 'n',
        ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: false }],
      },
    });
    assert.equal(g.labels.__meta_kubernetes_pod_controller_kind, undefined);
    assert.equal(g.labels.__meta_kubernetes_pod_controller_name, undefined);
    const h = podTargetGroup({
      metadata: { name: 'p', namespace: 'n', ownerReferences: [{ kind: 'Job', controller: true }] },
    });
    assert.equal(h.labels.__meta_kubernetes_pod_controller_kind, 'Job');
    assert.equal(h.labels.__meta_kubernetes_pod_controller_name, undefined);
  });

  it('gives a pod without containers a group without targets, under its source', () => {
    const g = podTargetGroup({ metadata: { name: 'p', namespace: 'n' } });
    assert.equal(g.source, 'pod/n/p');
    assert.deepEqual(g.targets, []);
  });
});
