// `logferry pipeline` as a process: sample lines from a file or stdin through a job's real
// stages, starting from --labels or a discovered pod's labels; per line each stage's changes and
// the entry sent, or where it was dropped; held lines, the final flush, nested match stages; JSON.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, dryrunFixtures } from './helpers.js';

const k8sConfig = join(dryrunFixtures, 'kubernetes.yaml');
const pods = join(dryrunFixtures, 'pods.json');
const criLog = join(dryrunFixtures, 'web.cri.log');
const appConfig = join(dryrunFixtures, 'pipeline.yaml');
const appLog = join(dryrunFixtures, 'app.log');

interface Run {
  job: string;
  labels: Record<string, string>;
  lines: {
    number: number;
    input?: string;
    stages: {
      stage: string;
      depth: number;
      result: string;
      reason?: string;
      changes: { field: string; before?: unknown; after?: unknown }[];
    }[];
    entries: {
      labels: Record<string, string>;
      timestamp: string;
      line: string;
      structured_metadata: Record<string, string>;
    }[];
    dropped: { stage: string; reason: string }[];
  }[];
  flush: Run['lines'][number] | null;
}

describe('logferry pipeline', () => {
  it("starts from a pod's target labels and shows each stage's change and the final entry", async () => {
    const r = await cli([
      'pipeline',
      '-config.file',
      k8sConfig,
      '--pods',
      pods,
      '--pod',
      'default/web-7d9f8c6b5d-x2x9k/nginx',
      '--time',
      '2024-05-01T12:00:00Z',
      criLog,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const blocks = r.stdout.split('\n\n');
    assert.equal(
      blocks[0],
      // `filename` as the agent sets it: the file the glob matches, or the glob when none does here.
      'job kubernetes-pods, labels {app="web", container="nginx", filename="/var/log/pods/*0f5e1c2a-1111-4a5b-9c3d-000000000001/nginx/*.log", job="default/web", namespace="default", node_name="node-1", pod="web-7d9f8c6b5d-x2x9k"}',
    );
    assert.equal(
      blocks[1],
      [
        'line 1  2024-05-01T10:00:00.123456789Z stdout F {"level":"info","msg":"GET /healthz 200"}',
        '  cri',
        '      + extracted.content: "{\\"level\\":\\"info\\",\\"msg\\":\\"GET /healthz 200\\"}"',
        '      + extracted.flags: "F"',
        '      + extracted.stream: "stdout"',
        '      + extracted.time: "2024-05-01T10:00:00.123456789Z"',
        '      + labels.stream: "stdout"',
        '      ~ timestamp: "2024-05-01T12:00:00Z" -> "2024-05-01T10:00:00.123456789Z"',
        '      ~ line: "2024-05-01T10:00:00.123456789Z stdout F {\\"level\\":\\"info\\",\\"msg\\":\\"GET /healthz 200\\"}" -> "{\\"level\\":\\"info\\",\\"msg\\":\\"GET /healthz 200\\"}"',
        '  json',
        '      + extracted.level: "info"',
        '      + extracted.msg: "GET /healthz 200"',
        '  labels',
        '      + labels.level: "info"',
        '  drop  no change',
        '  output',
        '      ~ line: "{\\"level\\":\\"info\\",\\"msg\\":\\"GET /healthz 200\\"}" -> "GET /healthz 200"',
        '  => entry  2024-05-01T10:00:00.123456789Z {app="web", container="nginx", filename="/var/log/pods/*0f5e1c2a-1111-4a5b-9c3d-000000000001/nginx/*.log", job="default/web", level="info", namespace="default", node_name="node-1", pod="web-7d9f8c6b5d-x2x9k", stream="stdout"}',
        '     line  GET /healthz 200',
      ].join('\n'),
    );
    assert.match(blocks[2]!, /\n {2}drop {2}dropped \(drop_stage\)\n {2}=> dropped by drop \(drop_stage\)$/);
    assert.match(
      blocks[3]!,
      /^line 3 .*\n {2}cri {2}held \(waiting for more lines\)\n {2}=> nothing sent yet: a stage holds the line$/,
    );
    assert.match(
      blocks[4]!,
      /=> entry {2}2024-05-01T10:00:02\.6Z .*level="error".*stream="stderr"\}\n {5}line {2}upstream timed out$/,
    );
    assert.match(r.stdout, /\n5 line\(s\) in, 3 entries out, 1 dropped\n$/);
  });

  it("starts from the job's static target labels and filename when given neither --labels nor --pod", async () => {
    const r = await cli(['pipeline', '-config.file', appConfig, '--job', 'app', '--output', 'json'], {
      input: '2024-05-01 10:00:00.000 INFO hello\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as Run).labels, { filename: '/srv/app/*.log', job: 'app' });
  });

  it('reads stdin, starts from --labels, and reports held blocks, nested match stages and the flush in JSON', async () => {
    const r = await cli(
      [
        'pipeline',
        '-config.file',
        appConfig,
        '--job',
        'app',
        '--labels',
        'job=app,filename=/srv/app/a.log',
        '--output',
        'json',
      ],
      { input: readFileSync(appLog, 'utf8') },
    );
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout) as Run;
    assert.deepEqual(run.labels, { filename: '/srv/app/a.log', job: 'app' });
    assert.deepEqual(
      run.lines.map((l) => [l.number, l.entries.length, l.dropped.length]),
      [
        [1, 0, 0],
        [2, 1, 0],
        [3, 0, 1],
        [4, 0, 0],
        [5, 0, 0],
        [6, 1, 0],
      ],
    );
    assert.equal(run.lines[0]!.stages[0]!.result, 'held');
    const line3 = run.lines[2]!;
    assert.deepEqual(
      line3.dropped,
      [{ stage: 'drop', reason: 'drop_stage' }],
      'the nested stage that dropped it',
    );
    assert.deepEqual(
      line3.stages.map((s) => [s.stage, s.depth, s.result]),
      [
        ['multiline', 0, 'held'],
        ['multiline', 0, 'emitted'],
        ['regex', 0, 'passed'],
        ['timestamp', 0, 'passed'],
        ['match', 0, 'dropped'],
        ['labels', 1, 'passed'],
        ['drop', 1, 'dropped'],
      ],
    );
    const block = run.lines[5]!.entries[0]!;
    assert.deepEqual(block, {
      labels: { filename: '/srv/app/a.log', job: 'app', level: 'ERROR' },
      timestamp: '2024-05-01T10:00:02.5Z',
      line: '2024-05-01 10:00:02.500 ERROR request failed\njava.lang.IllegalStateException: boom\n\tat com.example.Handler.run(Handler.java:42)',
      structured_metadata: { raw_time: '2024-05-01 10:00:02.500' },
    });
    const ts = run.lines[5]!.stages.find((s) => s.stage === 'timestamp')!;
    assert.deepEqual(
      ts.changes.map((c) => c.field),
      ['timestamp'],
    );
    assert.equal(ts.changes[0]!.after, '2024-05-01T10:00:02.5Z');
    assert.ok(run.flush, 'the last block comes out at the end of input');
    assert.equal(run.flush.number, 0);
    assert.equal(run.flush.entries[0]!.line, '2024-05-01 10:00:03.000 INFO recovered');
  });

  it('gives each line the --time as read time, or the clock', async () => {
    const input = 'plain line\n';
    const fixed = await cli(
      ['pipeline', '-config.file', appConfig, '--job', 'other', '--time', '1714557600.5', '--output', 'json'],
      { input },
    );
    const run = JSON.parse(fixed.stdout) as Run;
    assert.equal(run.lines[0]!.entries[0]!.timestamp, '2024-05-01T10:00:00.5Z');
    const before = Date.now();
    const now = await cli(['pipeline', '-config.file', appConfig, '--job', 'other', '--output', 'json'], {
      input,
    });
    const t = Date.parse((JSON.parse(now.stdout) as Run).lines[0]!.entries[0]!.timestamp);
    assert.ok(t >= before - 1000 && t <= Date.now(), 'read now');
  });

  it('fails with exit 2 on usage errors and 1 when the pod is not a target', async () => {
    const cases: [string[], number, RegExp][] = [
      [['-config.file', appConfig], 2, /-job is needed: the config has 2 scrape configs \(app, other\)/],
      [['-config.file', appConfig, '--job', 'nope'], 2, /no scrape config has job_name "nope"/],
      [
        ['-config.file', appConfig, '--job', 'app', '--labels', 'no-equals'],
        2,
        /"no-equals" is not name=value/,
      ],
      [['-config.file', appConfig, '--job', 'app', '--time', 'yesterday'], 2, /invalid time "yesterday"/],
      [['-config.file', appConfig, '--job', 'app', 'a', 'b'], 2, /one input file at most/],
      [
        ['-config.file', appConfig, '--job', 'app', '/nonexistent/input.log'],
        1,
        /cannot read \/nonexistent\/input\.log/,
      ],
      [
        ['-config.file', k8sConfig, '--pods', pods, '--pod', 'default/web-7d9f8c6b5d-x2x9k'],
        2,
        /several containers \(nginx, log-tailer\)/,
      ],
      [
        ['-config.file', k8sConfig, '--pods', pods, '--pod', 'kube-system/coredns-5d78c9869d-abcde'],
        1,
        /is not a target of job kubernetes-pods: relabel rule #0 \(drop, line \d+\)/,
      ],
      [
        ['-config.file', k8sConfig, '--pods', pods, '--pod', 'default/ghost'],
        1,
        /discovers no target for pod default\/ghost/,
      ],
    ];
    // Independent runs: started together (helpers.ts bounds how many processes run at once).
    const results = await Promise.all(cases.map(([args]) => cli(['pipeline', ...args], { input: '' })));
    for (const [i, [args, code, message]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
