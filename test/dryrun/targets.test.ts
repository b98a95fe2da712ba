// `logferry targets` as a process: pods from files of every shape, static and file_sd targets,
// kept targets with the files they match, drops with the rule index, action and YAML line,
// --explain step by step, and the JSON shape.
// Every run is a fresh process, so the tests of a describe run concurrently and a test starts its
// independent runs together (helpers.ts bounds how many processes run at once). A live cluster
// and the exit codes are in targets-cluster.test.ts: the runner's time limit is per file.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';
import {
  cli,
  config,
  dryrunFixtures,
  lineOf,
  nameOf,
  pods,
  ruleLine,
  staticConfig,
  targetsJson,
} from './helpers.js';

describe('logferry targets: pods from a file', { concurrency: true }, () => {
  it('lists kept targets with final labels and path, and drops with rule index, action and line', async () => {
    const doc = await targetsJson(['-config.file', config, '--pods', pods]);
    assert.deepEqual(doc.targets.map(nameOf).sort(), [
      'default/api-0/api',
      'default/web-7d9f8c6b5d-x2x9k/log-tailer',
      'default/web-7d9f8c6b5d-x2x9k/nginx',
      'varlogs:static',
    ]);
    const nginx = doc.targets.find((t) => t.container === 'nginx')!;
    assert.deepEqual(nginx, {
      job: 'kubernetes-pods',
      namespace: 'default',
      pod: 'web-7d9f8c6b5d-x2x9k',
      container: 'nginx',
      labels: {
        app: 'web',
        container: 'nginx',
        job: 'default/web',
        namespace: 'default',
        node_name: 'node-1',
        pod: 'web-7d9f8c6b5d-x2x9k',
      },
      path: '/var/log/pods/*0f5e1c2a-1111-4a5b-9c3d-000000000001/nginx/*.log',
      files: [],
    });
    const drops = Object.fromEntries(doc.dropped.map((d) => [nameOf(d), d]));
    assert.deepEqual(Object.keys(drops).sort(), [
      'default/api-0/migrate',
      'kube-system/coredns-5d78c9869d-abcde/coredns',
      'monitoring/node-exporter-q7w8e/node-exporter',
    ]);
    const cases: [string, number, string][] = [
      ['kube-system/coredns-5d78c9869d-abcde/coredns', 0, 'regex: kube-system'],
      [
        'monitoring/node-exporter-q7w8e/node-exporter',
        1,
        '__meta_kubernetes_pod_annotation_logferry_io_scrape',
      ],
      ['default/api-0/migrate', 2, '__meta_kubernetes_pod_container_init'],
    ];
    for (const [name, index, needle] of cases) {
      const d = drops[name]!;
      assert.equal(d.reason, 'relabeling');
      assert.equal(d.rule!.index, index, name);
      assert.equal(d.rule!.action, 'drop', name);
      assert.equal(d.rule!.line, ruleLine(needle), `${name}: the rule's YAML line`);
      assert.match(d.rule!.text, new RegExp(needle.replace(/[.*]/g, '\\$&')));
    }
    // The labels the target had when the rule dropped it: its discovered labels, untouched.
    assert.equal(
      drops['kube-system/coredns-5d78c9869d-abcde/coredns']!.labels.__meta_kubernetes_namespace,
      'kube-system',
    );
    assert.equal(drops['default/api-0/migrate']!.labels.__meta_kubernetes_pod_container_init, 'true');
  });

  it('prints the same in text: targets, and drops with the rule as written and its line', async () => {
    const r = await cli(['targets', '-config.file', config, '--pods', pods]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
    assert.match(r.stdout, /job kubernetes-pods \(line 10\): 3 target\(s\), 3 dropped/);
    assert.match(
      r.stdout,
      /\+ default\/web-7d9f8c6b5d-x2x9k\/nginx\n\s+labels\s+{app="web", container="nginx", job="default\/web"/,
    );
    const line = ruleLine('regex: kube-system');
    assert.match(
      r.stdout,
      new RegExp(
        `- kube-system/coredns-5d78c9869d-abcde/coredns  dropped: relabel rule #0 \\(drop, line ${line}\\)\\n\\s+source_labels: \\[__meta_kubernetes_namespace\\]\\n\\s+regex: kube-system\\n\\s+action: drop\\n\\s+it saw  __meta_kubernetes_namespace="kube-system"`,
      ),
    );
    assert.match(r.stdout, /\n4 target\(s\), 3 dropped\n$/);
  });

  it('acts as the agent of one node with --node', async () => {
    const doc = await targetsJson([
      '-config.file',
      config,
      '--pods',
      pods,
      '--node',
      'node-2',
      '--job',
      'kubernetes-pods',
    ]);
    assert.deepEqual(doc.targets.map(nameOf), ['default/api-0/api']);
    assert.deepEqual(doc.dropped.map(nameOf), ['default/api-0/migrate']);
  });

  it('reads every pods file shape: YAML List, several documents, a bare Pod, JSON objects back to back, a bundle', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const list = JSON.parse(readFileSync(pods, 'utf8')) as { items: unknown[] };
      const [web, api] = list.items as Record<string, unknown>[];
      const { stringify } = await import('yaml');
      const files: Record<string, string> = {
        'list.yaml': stringify({ apiVersion: 'v1', kind: 'PodList', items: [web, api] }),
        'docs.yaml': `${stringify(web)}---\n${stringify(api)}`,
        'stream.json': `${JSON.stringify(web, null, 2)}\n${JSON.stringify(api)}`,
        'array.json': JSON.stringify([web, api]),
        'bundle.json': JSON.stringify({ pods: [web, api], nodes: [{ metadata: { name: 'node-1' } }] }),
      };
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      const pod = join(dir, 'pod.yaml');
      writeFileSync(pod, stringify(api));
      const read = (file: string) =>
        targetsJson(['-config.file', config, '--pods', file, '--job', 'kubernetes-pods']);
      const [docs, doc] = await Promise.all([
        Promise.all(Object.keys(files).map((name) => read(join(dir, name)))),
        read(pod),
      ]);
      for (const [i, name] of Object.keys(files).entries()) {
        assert.deepEqual(
          docs[i]!.targets.map(nameOf).sort(),
          [
            'default/api-0/api',
            'default/web-7d9f8c6b5d-x2x9k/log-tailer',
            'default/web-7d9f8c6b5d-x2x9k/nginx',
          ],
          name,
        );
      }
      assert.deepEqual(doc.targets.map(nameOf), ['default/api-0/api']);
    } finally {
      cleanup();
    }
  });

  it('lists the files a kept target matches now, minus __path_exclude__', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const root = join(
        dir,
        'var/log/pods/default_web-7d9f8c6b5d-x2x9k_0f5e1c2a-1111-4a5b-9c3d-000000000001',
      );
      mkdirSync(join(root, 'nginx'), { recursive: true });
      mkdirSync(join(root, 'log-tailer'), { recursive: true });
      writeFileSync(join(root, 'nginx', '0.log'), 'a\n');
      writeFileSync(join(root, 'nginx', '1.log'), 'b\n');
      writeFileSync(join(root, 'nginx', 'notes.txt'), 'c\n');
      const text = readFileSync(config, 'utf8').replaceAll('/var/log/', `${dir}/var/log/`);
      const local = join(dir, 'config.yaml');
      writeFileSync(local, text);
      // __path_exclude__ takes files away.
      mkdirSync(join(dir, 'srv'));
      writeFileSync(join(dir, 'srv', 'a.log'), '');
      writeFileSync(join(dir, 'srv', 'a.gz.log'), '');
      const excl = join(dir, 'exclude.yaml');
      writeFileSync(
        excl,
        `scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: [localhost]\n        labels: {__path__: "${dir}/srv/*.log", __path_exclude__: "${dir}/srv/*.gz.log"}\n`,
      );
      const [doc, r, d2] = await Promise.all([
        targetsJson(['-config.file', local, '--pods', pods, '--node', 'node-1']),
        cli(['targets', '-config.file', local, '--pods', pods, '--node', 'node-1']),
        targetsJson(['-config.file', excl]),
      ]);
      const files = Object.fromEntries(doc.targets.map((t) => [nameOf(t), t.files]));
      assert.deepEqual(files['default/web-7d9f8c6b5d-x2x9k/nginx'], [
        join(root, 'nginx', '0.log'),
        join(root, 'nginx', '1.log'),
      ]);
      assert.deepEqual(files['default/web-7d9f8c6b5d-x2x9k/log-tailer'], []);
      assert.match(
        r.stdout,
        new RegExp(
          `files   ${join(root, 'nginx', '0.log').replace(/[.*]/g, '\\$&')}\\n\\s+${join(root, 'nginx', '1.log').replace(/[.*]/g, '\\$&')}`,
        ),
      );
      assert.match(r.stdout, /log-tailer\n.*\n.*\n\s+files {3}none match now/);

      // __path_exclude__ took files away.
      assert.deepEqual(d2.targets[0]!.files, [join(dir, 'srv', 'a.log')]);
    } finally {
      cleanup();
    }
  });
});

describe('logferry targets: static and file_sd targets', { concurrency: true }, () => {
  it('keeps, drops by rule, by __host__ and for a missing __path__', async () => {
    const doc = await targetsJson(['-config.file', staticConfig, '--node', 'node-1']);
    assert.deepEqual(
      doc.targets.map((t) => [t.labels, t.path]),
      [
        [{ job: 'app' }, '/srv/app/*.log'],
        [{ sd_file: 'teams', team: 'payments' }, '/srv/payments/*.log'],
      ],
    );
    const byReason = Object.fromEntries(doc.dropped.map((d) => [d.reason, d]));
    assert.deepEqual(Object.keys(byReason).sort(), ['no_path', 'relabeling', 'wrong_host']);
    assert.deepEqual(byReason.relabeling!.rule, {
      index: 0,
      action: 'drop',
      line: lineOf(staticConfig, 'regex: legacy'),
      text: '{source_labels: [team], regex: legacy, action: drop}',
    });
    assert.equal(byReason.relabeling!.labels.__meta_filepath, join(dryrunFixtures, 'file-sd/teams.yaml'));
    assert.equal(byReason.wrong_host!.labels.__host__, 'node-9');
    assert.equal(byReason.no_path!.labels.job, 'nopath');
    for (const d of doc.dropped) assert.deepEqual([d.namespace, d.pod, d.container], [null, null, null]);
  });

  it('does not check __host__ without --node', async () => {
    const doc = await targetsJson(['-config.file', staticConfig]);
    assert.ok(doc.targets.some((t) => t.labels.job === 'elsewhere'));
    assert.ok(!doc.dropped.some((d) => d.reason === 'wrong_host'));
  });
});

describe('logferry targets --explain', { concurrency: true }, () => {
  it('shows every relabel step, marks the rules that did nothing, and the result', async () => {
    const r = await cli([
      'targets',
      '-config.file',
      config,
      '--pods',
      pods,
      '--explain',
      'default/web-7d9f8c6b5d-x2x9k/nginx',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^default\/web-7d9f8c6b5d-x2x9k\/nginx in job kubernetes-pods/);
    assert.match(out, /discovered labels:\n(\s+__\w+=".*"\n)+/);
    assert.match(out, new RegExp(`rule #0 drop \\(line ${ruleLine('regex: kube-system')}\\): no change`));
    assert.match(out, /rule #2 drop \(line \d+\): no change/);
    assert.match(out, /rule #3 replace \(line \d+\): changed\n(\s+\|.*\n)+\s+\+ __tmp_controller_name="web"/);
    assert.match(out, /rule #8 replace \(line \d+\): changed\n(\s+\|.*\n)+\s+\+ job="default\/web"/);
    assert.equal(out.match(/^rule #/gm)?.length, 12, 'one step per rule');
    assert.match(out, /kept: .*\n\s+labels {2}{app="web", container="nginx"/);
  });

  it('stops at the rule that drops the target, in JSON with labels before and after each step', async () => {
    const r = await cli([
      'targets',
      '-config.file',
      config,
      '--pods',
      pods,
      '--explain',
      'default/api-0',
      '--output',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const { explain } = JSON.parse(r.stdout) as { explain: Record<string, unknown>[] };
    assert.deepEqual(
      explain.map((e) => e.container),
      ['api', 'migrate'],
      'every container of the pod',
    );
    const migrate = explain[1] as {
      steps: {
        index: number;
        effect: string;
        before: Record<string, string>;
        after: unknown;
        line: number;
      }[];
      result: { kept: boolean; reason: string };
    };
    assert.deepEqual(
      migrate.steps.map((s) => s.effect),
      ['unchanged', 'unchanged', 'dropped'],
    );
    assert.equal(migrate.steps[2]!.after, null);
    assert.equal(migrate.steps[2]!.line, ruleLine('__meta_kubernetes_pod_container_init'));
    assert.equal(migrate.steps[2]!.before.__meta_kubernetes_pod_container_init, 'true');
    assert.deepEqual([migrate.result.kept, migrate.result.reason], [false, 'relabeling']);
    const api = explain[0] as { steps: { effect: string }[]; result: { kept: boolean; path: string } };
    assert.equal(api.steps.length, 12);
    assert.equal(api.result.kept, true);
    assert.equal(api.result.path, '/var/log/pods/*0f5e1c2a-2222-4a5b-9c3d-000000000002/api/*.log');
  });

  it('explains a static target by its address, and fails on a pod that was not discovered', async () => {
    const [r, missing] = await Promise.all([
      cli(['targets', '-config.file', staticConfig, '--explain', 'no-path-host']),
      cli(['targets', '-config.file', config, '--pods', pods, '--explain', 'default/nope']),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped: no __path__ after relabeling/);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /no discovered target is default\/nope; discovered nearby: default\/api-0\/api/,
    );
  });
});
