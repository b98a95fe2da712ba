// `logferry targets` as a process, continued from targets.test.ts (split so that each file stays
// well within the runner's per-file time limit on a loaded machine): pods from a live (fake) API
// server through api_server and a kubeconfig, an unreachable cluster, and the exit codes.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import { cli, config, nameOf, pods, repoRoot, targetsJson } from './helpers.js';

describe('logferry targets: a live cluster', { concurrency: true }, () => {
  let api: FakeKubeApi;
  const cluster = JSON.parse(readFileSync(join(repoRoot, 'fixtures/k8s/cluster.json'), 'utf8'));
  let dir: string;
  let cleanup: () => void;
  before(async () => {
    api = await FakeKubeApi.start();
    api.load(cluster);
    ({ dir, cleanup } = tempDir());
  });
  after(async () => {
    await api.close();
    cleanup();
  });

  const withServer = (server: string | undefined) =>
    readFileSync(config, 'utf8').replace(
      '- role: pod',
      server ? `- role: pod\n        api_server: ${server}` : '- role: pod',
    );

  it('lists the pods of one node through api_server', async () => {
    // Its own API server: the requests it checks are this run's, not a concurrent test's.
    const own = await FakeKubeApi.start();
    try {
      own.load(cluster);
      const file = join(dir, 'api-server.yaml');
      writeFileSync(file, withServer(own.url));
      const doc = await targetsJson(['-config.file', file, '--node', 'node-a', '--job', 'kubernetes-pods']);
      const names = doc.targets.map(nameOf);
      assert.ok(names.includes('default/web-7d4b9c6f5-x2x9z/web'), names.join());
      assert.ok(!names.some((n) => n.startsWith('default/elsewhere')), 'a pod of node-b is not listed');
      assert.ok(doc.dropped.some((d) => d.container === 'init-db' && d.rule?.index === 2));
      const watch = own.requests.find((q) => q.resource === 'pods');
      assert.match(watch?.query.fieldSelector ?? '', /spec\.nodeName=node-a/);
    } finally {
      await own.close();
    }
  });

  it('lists the pods of every node without --node, and uses --kubeconfig', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {server: "${api.url}", insecure-skip-tls-verify: true}\nusers:\n- name: me\n  user: {}\ncontexts:\n- name: fake\n  context: {cluster: fake, user: me}\ncurrent-context: fake\n`,
    );
    const file = join(dir, 'in-cluster.yaml');
    writeFileSync(file, withServer(undefined));
    const doc = await targetsJson([
      '-config.file',
      file,
      '--kubeconfig',
      kubeconfig,
      '--job',
      'kubernetes-pods',
    ]);
    const names = doc.targets.map(nameOf);
    assert.ok(names.includes('default/elsewhere/app'), names.join());
    assert.ok(names.includes('default/db-0/postgres'), names.join());
  });

  it('fails with exit 1 and the reason when the cluster cannot be reached', async () => {
    const file = join(dir, 'unreachable.yaml');
    writeFileSync(file, withServer('http://127.0.0.1:9'));
    const r = await cli(['targets', '-config.file', file, '--node', 'node-a', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /kubernetes_sd_configs at .*unreachable\.yaml:\d+: could not list pods within 1000 ms:\n.*ECONNREFUSED/,
    );
  });
});

describe('logferry targets: exit codes', { concurrency: true }, () => {
  it('is 1 with the location for an invalid config, and for an unreadable one', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(
        bad,
        'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - source_labels: [a]\n        regex: "(unclosed"\n',
      );
      const badSd = join(dir, 'bad-sd.yaml');
      writeFileSync(
        badSd,
        'scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: service\n',
      );
      const badPods = join(dir, 'pods.yaml');
      writeFileSync(badPods, 'kind: Pod\nmetadata: {}\n');
      const runs = await Promise.all([
        cli(['targets', '-config.file', bad]),
        cli(['targets', '-config.file', join(repoRoot, 'fixtures/config/bad/invalid-yaml.yaml')]),
        cli(['targets', '-config.file', join(dir, 'missing.yaml')]),
        cli(['targets', '-config.file', badSd, '--pods', pods]),
        cli(['targets', '-config.file', config, '--pods', badPods]),
      ]);
      let r = runs[0]!;
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^error: invalid config: ${bad}:5: scrape_configs\\[0\\]\\.relabel_configs\\[0\\]\\.regex: `,
        ),
      );
      r = runs[1]!;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /invalid-yaml\.yaml:\d+: /);
      r = runs[2]!;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /missing\.yaml/);
      r = runs[3]!;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad-sd\.yaml:4: .*role/);
      r = runs[4]!;
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pods\.yaml: top level: a Pod without metadata\.name/);
    } finally {
      cleanup();
    }
  });

  it('is 2 for usage errors', async () => {
    const cases: [string[], RegExp, boolean?][] = [
      [['--bogus'], /flag provided but not defined: -bogus/],
      [['--output', 'xml'], /invalid value "xml" for flag -output/],
      [['--explain', 'a//b'], /invalid value "a\/\/b" for flag -explain/],
      [['--job', 'nope'], /no scrape config has job_name "nope" \(jobs: kubernetes-pods, varlogs\)/, false],
      [['extra'], /unexpected argument "extra"/],
      [['--timeout', 'soon'], /invalid value "soon" for flag -timeout/],
    ];
    const results = await Promise.all(
      cases.map(([args]) => cli(['targets', '-config.file', config, '--pods', pods, ...args])),
    );
    for (const [i, [args, message, withUsage = true]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
      if (withUsage) assert.match(r.stderr, /Usage of logferry targets:/);
    }
  });

  it('prints its usage with -h and exits 0', async () => {
    const r = await cli(['targets', '-h']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /-explain string/);
  });
});
