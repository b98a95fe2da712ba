// Watch robustness of kubernetes_sd_configs against the fake API server, through the real
// @kubernetes/client-node: resume after dropped connections, relist after 410 Gone, restart
// after errors with backoff, bookmarks, selectors, namespaces, the node restriction, and a
// seeded random run of changes and faults after which no pod is missed or kept.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeKubeApi, type KubeObject } from '../support/fake-kube-api.js';
import { type Discovery, startDiscovery } from './kube-harness.js';

function pod(
  name: string,
  opts: { ns?: string; node?: string; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    metadata: { name, namespace: opts.ns ?? 'default', labels: opts.labels ?? { app: name } },
    spec: { nodeName: opts.node ?? 'node-a', containers: [{ name: 'main', image: 'busybox' }] },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  };
}

/** What the discoverer should show: the pods of node-a (matching `filter`), as sources. */
function expectedSources(api: FakeKubeApi, filter: (p: KubeObject) => boolean = () => true): string[] {
  return api
    .list('pods')
    .filter((p) => p.spec.nodeName === 'node-a' && filter(p))
    .map((p) => `pod/${p.metadata.namespace}/${p.metadata.name}`)
    .sort();
}

async function consistent(d: Discovery, api: FakeKubeApi, what: string, filter?: (p: KubeObject) => boolean) {
  await d.until(
    () => {
      const want = expectedSources(api, filter);
      const got = d.live();
      return want.length === got.length && want.every((s, i) => s === got[i]);
    },
    `${what}: discovered pods ${JSON.stringify(d.live())} to be ${JSON.stringify(expectedSources(api, filter))}`,
  );
}

describe('kubernetes_sd_configs watches', () => {
  let api: FakeKubeApi;
  let d: Discovery | undefined;
  beforeEach(async () => {
    api = await FakeKubeApi.start();
    api.create('pods', pod('a'));
    api.create('pods', pod('b'));
    api.create('pods', pod('far', { node: 'node-b' }));
  });
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await api.close();
  });

  it('lists, then follows additions, changes and deletions', async () => {
    d = await startDiscovery(api, 'role: pod\n');
    assert.deepEqual(d.live(), ['pod/default/a', 'pod/default/b']);
    api.create('pods', pod('c'));
    api.modify('pods', 'default/a', (p) => {
      p.metadata.labels = { app: 'a', version: '2' };
    });
    api.remove('pods', 'default/b');
    await consistent(d, api, 'after changes');
    await d.until(
      () => d!.groups.get('pod/default/a')!.labels.__meta_kubernetes_pod_label_version === '2',
      'the changed label',
    );
    assert.deepEqual(d.groups.get('pod/default/b'), { source: 'pod/default/b', targets: [], labels: {} });
    const lists = api.requests.filter((r) => r.verb === 'list');
    assert.equal(lists.length, 1, 'one list, then one watch');
  });

  it('resumes from its resourceVersion after a dropped connection, missing nothing', async () => {
    d = await startDiscovery(api, 'role: pod\n');
    await api.waitFor((a) => a.openWatches === 1, 5000, 'the watch');
    const watchesBefore = api.requests.filter((r) => r.verb === 'watch').length;
    const rvBefore = api.resourceVersion;
    api.refuseConnections(true);
    api.create('pods', pod('c'));
    api.remove('pods', 'default/a');
    api.modify('pods', 'default/b', (p) => {
      p.status.podIP = '10.0.0.9';
    });
    api.refuseConnections(false);
    await consistent(d, api, 'after the drop');
    await d.until(
      () => d!.groups.get('pod/default/b')!.labels.__meta_kubernetes_pod_ip === '10.0.0.9',
      'the change',
    );
    const resumed = api.requests
      .filter((r) => r.verb === 'watch' && r.status === 200)
      .slice(watchesBefore - 1);
    assert.ok(resumed.length >= 2);
    assert.equal(resumed.at(-1)!.query.resourceVersion, String(rvBefore), 'resumed where it stopped');
    assert.equal(api.requests.filter((r) => r.verb === 'list').length, 1, 'no relist was needed');
    assert.ok(d.logs.some((l) => /level=warn .*list\/watch failed; retrying/.test(l)));
  });

  for (const [name, goneAsStatus] of [
    ['an ERROR event', false],
    ['an HTTP 410', true],
  ] as const) {
    it(`lists again after 410 Gone sent as ${name}, dropping pods deleted meanwhile`, async () => {
      await api.close();
      api = await FakeKubeApi.start({ goneAsStatus });
      api.create('pods', pod('a'));
      api.create('pods', pod('b'));
      d = await startDiscovery(api, 'role: pod\n');
      await api.waitFor((a) => a.openWatches === 1, 5000, 'the watch');
      api.refuseConnections(true);
      api.remove('pods', 'default/a');
      api.create('pods', pod('c'));
      api.compact();
      api.refuseConnections(false);
      await consistent(d, api, 'after compaction');
      assert.deepEqual(d.groups.get('pod/default/a')!.targets, []);
      assert.equal(
        api.requests.filter((r) => r.verb === 'list' && r.status === 200).length,
        2,
        'a second list',
      );
      await api.waitFor((a) => a.openWatches === 1, 5000, 'a new watch');
    });
  }

  it('restarts with backoff after the API server answers errors', async () => {
    d = await startDiscovery(api, 'role: pod\n');
    await api.waitFor((a) => a.openWatches === 1, 5000, 'the watch');
    api.failNext(4, 500, (r) => r.resource === 'pods');
    api.compact();
    api.dropWatches();
    api.create('pods', pod('c'));
    await consistent(d, api, 'after errors');
    await api.waitFor((a) => a.openWatches === 1, 5000, 'a new watch');
    const failed = api.requests.filter((r) => r.status === 500);
    assert.equal(failed.length, 4, 'every injected failure was met by a retry');
    const times = d.logs
      .filter((l) => /list\/watch failed/.test(l))
      .map((l) => /retryInMs=(\d+)/.exec(l)![1]);
    assert.ok(times.length >= 4, `retries logged: ${times}`);
    assert.ok(Number(times.at(-1)) > Number(times[0]), `backoff grows: ${times}`);
  });

  it('resumes at once, without an error, when the server ends a watch cleanly', async () => {
    d = await startDiscovery(api, 'role: pod\n');
    await api.waitFor((a) => a.openWatches === 1, 5000, 'the watch');
    api.endWatches();
    api.create('pods', pod('c'));
    await consistent(d, api, 'after a clean end');
    assert.ok(!d.logs.some((l) => /failed/.test(l)), d.logs.join(''));
  });

  it('asks for bookmarks and a server-side timeout, and resumes from a bookmark', async () => {
    d = await startDiscovery(api, 'role: pod\n', { watchTimeoutSeconds: [1, 1] });
    await api.waitFor((a) => a.openWatches === 1, 5000, 'the watch');
    const w = api.requests.find((r) => r.verb === 'watch')!;
    assert.equal(w.query.allowWatchBookmarks, 'true');
    assert.equal(w.query.timeoutSeconds, '1');
    // Changes elsewhere move the version on; a bookmark tells the watch.
    api.create('pods', pod('x', { node: 'node-b' }));
    api.create('pods', pod('y', { node: 'node-b' }));
    const bookmarked = api.resourceVersion;
    api.bookmark();
    await new Promise((r) => setTimeout(r, 50));
    api.dropWatches();
    await api.waitFor(
      (a) => a.requests.some((r) => r.verb === 'watch' && r.query.resourceVersion === String(bookmarked)),
      5000,
      'a watch from the bookmark',
    );
    // The server's timeout ends the watch after 1 s; the discoverer simply watches again.
    const before = api.requests.filter((r) => r.verb === 'watch').length;
    await api.waitFor(
      (a) => a.requests.filter((r) => r.verb === 'watch').length > before && a.openWatches === 1,
      5000,
      'a watch after the timeout',
    );
    assert.deepEqual(d.live(), ['pod/default/a', 'pod/default/b']);
  });

  it('uses label and field selectors, and drops a pod that stops matching', async () => {
    api.create('pods', pod('c', { labels: { app: 'c', tier: 'web' } }));
    api.create('pods', pod('d', { labels: { app: 'd', tier: 'web' } }));
    d = await startDiscovery(
      api,
      'role: pod\nselectors:\n  - role: pod\n    label: "tier in (web)"\n    field: "metadata.name!=d"\n',
    );
    const list = api.requests.find((r) => r.verb === 'list')!;
    assert.equal(list.query.labelSelector, 'tier in (web)');
    assert.equal(list.query.fieldSelector, 'metadata.name!=d,spec.nodeName=node-a');
    assert.deepEqual(d.live(), ['pod/default/c']);
    api.modify('pods', 'default/c', (p) => {
      p.metadata.labels = { app: 'c', tier: 'db' };
    });
    await d.until(() => d!.live().length === 0, 'the pod that stopped matching to go');
  });

  it('watches each of namespaces.names on its own path', async () => {
    api.create('pods', pod('m', { ns: 'monitoring' }));
    api.create('pods', pod('k', { ns: 'kube-system' }));
    d = await startDiscovery(api, 'role: pod\nnamespaces:\n  names: [monitoring, default]\n');
    assert.deepEqual(d.live(), ['pod/default/a', 'pod/default/b', 'pod/monitoring/m']);
    const paths = new Set(api.requests.map((r) => r.path));
    assert.deepEqual([...paths].sort(), [
      '/api/v1/namespaces/default/pods',
      '/api/v1/namespaces/monitoring/pods',
    ]);
  });

  it('obeys a user field selector on spec.nodeName instead of adding its own', async () => {
    d = await startDiscovery(api, 'role: pod\nselectors:\n  - role: pod\n    field: spec.nodeName=node-b\n');
    assert.deepEqual(d.live(), ['pod/default/far']);
  });

  it('says loudly when HOSTNAME is missing and when no pod is on the node', async () => {
    d = await startDiscovery(api, 'role: pod\n', { nodeName: undefined, env: {} });
    assert.ok(
      d.logs.some((l) => /level=error .*HOSTNAME is not set/.test(l)),
      d.logs.join(''),
    );
    await d.stop();
    d = await startDiscovery(api, 'role: pod\n', { nodeName: 'node-z' });
    assert.ok(
      d.logs.some((l) => /level=error .*no pod is scheduled on node \\?"node-z\\?"/.test(l)),
      d.logs.join(''),
    );
  });

  it('stops every watch on stop() and makes no request after', async () => {
    d = await startDiscovery(api, 'role: pod\nattach_metadata: { node: true, namespace: true }\n');
    await api.waitFor((a) => a.openWatches === 3, 5000, 'three watches');
    await d.stop();
    await api.waitFor((a) => a.openWatches === 0, 5000, 'no watch');
    const n = api.requests.length;
    api.create('pods', pod('late'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(api.requests.length, n);
    assert.equal(d.groups.has('pod/default/late'), false);
  });

  it('misses and keeps no pod through a random run of changes, drops, compactions and errors', async () => {
    d = await startDiscovery(api, 'role: pod\nattach_metadata: { node: true }\n');
    let seed = 20240611;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let n = 0;
    for (let step = 0; step < 60; step++) {
      const pods = api.list('pods');
      const r = random();
      if (r < 0.35 || pods.length < 2)
        api.create('pods', pod(`p${n++}`, { node: random() < 0.8 ? 'node-a' : 'node-b' }));
      else if (r < 0.6) {
        const p = pods[Math.floor(random() * pods.length)]!;
        api.remove('pods', `${p.metadata.namespace}/${p.metadata.name}`);
      } else if (r < 0.75) {
        const p = pods[Math.floor(random() * pods.length)]!;
        // Moving between nodes cannot happen in Kubernetes, but a filtered watch must handle it.
        api.modify('pods', `${p.metadata.namespace}/${p.metadata.name}`, (o) => {
          o.spec.nodeName = o.spec.nodeName === 'node-a' ? 'node-b' : 'node-a';
        });
      } else if (r < 0.83) api.dropWatches();
      else if (r < 0.89) api.compact();
      else if (r < 0.94) api.failNext(1, 503);
      else api.endWatches();
      if (step % 10 === 0) await new Promise((res) => setTimeout(res, 20));
    }
    await consistent(d, api, 'after the random run');
    // And it still follows changes afterwards.
    api.create('pods', pod('final'));
    await consistent(d, api, 'after the run, a new pod');
  });
});
