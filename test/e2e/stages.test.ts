// Every stage family end to end: a file in, through the built CLI, the pushes decoded at the
// receiver (and the metrics stage read from /metrics). One agent, one job per family.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, type ReceivedEntry, startLokiReceiver } from '../support/loki-receiver.js';

const families: Record<string, { lines: string[]; stages: string }> = {
  parse: {
    lines: [
      '{"level":"info","msg":"hello","user":{"id":7}}',
      'level=warn msg="quoted value" code=42',
      'GET /api/orders 200 12ms',
      'not json at all',
    ],
    stages: `
      - json:
          expressions: { level: level, user_id: user.id }
      - logfmt:
          mapping: { lf_level: level, code: }
      - regex:
          expression: '^(?P<method>GET|POST) (?P<path>\\S+) (?P<status>\\d+)'
      - replace:
          # As Promtail: only the captured group is replaced, not the whole match.
          expression: '\\d+(ms)'
          replace: ' {{ Replace .Value "ms" "milliseconds" -1 }}'
      - template:
          source: summary
          template: '{{ with .level }}{{ . | ToUpper }}{{ else }}{{ with .lf_level }}{{ . | ToUpper }}{{ else }}NONE{{ end }}{{ end }}/{{ .method | default "-" }}'
      - labels: { summary: , user_id: , status: , code: }`,
  },
  time: {
    lines: [
      '2024-05-01 10:00:00.123456789 +0200 first',
      '01/May/2024:12:30:00 +0000 second',
      'garbage third',
    ],
    stages: `
      - regex:
          expression: '^(?P<ts>\\S+ \\S+ [+-]\\d{4}|\\S+ [+-]\\d{4}) (?P<msg>.*)$'
      - timestamp:
          source: ts
          format: '2006-01-02 15:04:05.999999999 -0700'
          fallback_formats: ['02/Jan/2006:15:04:05 -0700']
          action_on_failure: skip
      - output: { source: msg }`,
  },
  labels: {
    lines: ['\u001b[31mred alert\u001b[0m tenant=acme trace=abc123'],
    stages: `
      - decolorize: {}
      - logfmt:
          mapping: { tenant: , trace: }
      - static_labels: { env: prod, team: core }
      - labels: { tenant_label: tenant }
      - structured_metadata: { trace_id: trace }
      - tenant: { source: tenant }
      - labeldrop: [team]
      - pack:
          labels: [env]
          ingest_timestamp: false`,
  },
  filter: {
    lines: [
      'keep me level=info',
      'drop me level=debug',
      'keep too level=error',
      'this line is far too long to keep',
    ],
    stages: `
      - logfmt:
          mapping: { level: }
      - match:
          selector: '{job="filter"} |= "drop me"'
          action: drop
          drop_counter_reason: noisy
      - drop:
          longer_than: 30
          drop_counter_reason: too_long
      - labels: { level: }`,
  },
  multiline: {
    lines: [
      '2024-05-01 ERROR something failed',
      '  at com.example.Foo.bar(Foo.java:1)',
      '  at com.example.Main.main(Main.java:2)',
      '2024-05-01 INFO recovered',
    ],
    stages: `
      - multiline:
          firstline: '^\\d{4}-\\d{2}-\\d{2}'
          max_wait_time: 300ms`,
  },
  metrics: {
    lines: ['status=200 bytes=512', 'status=500 bytes=128', 'status=200 bytes=1024'],
    stages: `
      - logfmt:
          mapping: { status: , bytes: }
      - metrics:
          e2e_requests_total:
            type: Counter
            description: requests by line
            source: status
            config: { action: inc }
          e2e_response_bytes:
            type: Histogram
            source: bytes
            config: { buckets: [256, 1024, 4096] }`,
  },
};

/** The /metrics text once `ready` holds for it (polled with a deadline). */
async function metricsWhen(
  port: number,
  ready: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    if (ready(text)) return text;
    if (Date.now() > deadline) throw new Error(`metrics not as expected within ${timeoutMs} ms:\n${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stage families end to end', () => {
  let loki: LokiReceiver;
  let dir: string;
  let cleanup: () => void;
  let agent: ReturnType<typeof runCli>;
  let port: number;
  const of = (job: string): ReceivedEntry[] => loki.entries().filter((e) => e.labels.job === job);

  before(async () => {
    loki = await startLokiReceiver();
    ({ dir, cleanup } = tempDir());
    const jobs: string[] = [];
    for (const [name, family] of Object.entries(families)) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'app.log'), `${family.lines.join('\n')}\n`);
      jobs.push(
        [
          `  - job_name: ${name}`,
          '    static_configs:',
          '      - targets: [localhost]',
          `        labels: { job: ${name}, __path__: "${dir}/${name}/*.log" }`,
          `    pipeline_stages:${family.stages}`,
        ].join('\n'),
      );
    }
    agent = runCli([
      `-config.file=${writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: jobs.join('\n') })}`,
    ]);
    port = await agent.port();
  });
  after(async () => {
    await agent.stop();
    await loki.close();
    cleanup();
  });

  it('json, logfmt, regex, replace and template extract values that labels pick up', async () => {
    await loki.waitFor(() => of('parse').length === 4);
    const got = of('parse');
    const byLine = (l: string) => got.find((e) => e.line.startsWith(l))!;
    assert.deepEqual(byLine('{"level"').labels, {
      job: 'parse',
      filename: join(dir, 'parse', 'app.log'),
      summary: 'INFO/-',
      user_id: '7',
    });
    assert.equal(byLine('level=warn').labels.code, '42');
    assert.equal(byLine('level=warn').labels.summary, 'WARN/-');
    assert.equal(byLine('GET').line, 'GET /api/orders 200 12 milliseconds');
    assert.equal(byLine('GET').labels.status, '200');
    assert.equal(byLine('GET').labels.summary, 'NONE/GET');
    assert.equal(byLine('not json').labels.summary, 'NONE/-');
  });

  it('timestamp parses Go layouts and fallbacks to the nanosecond; output replaces the line', async () => {
    await loki.waitFor(() => of('time').length === 3);
    const got = of('time');
    const first = got.find((e) => e.line === 'first')!;
    assert.equal(first.timestamp, 1714550400123456789n);
    assert.equal(got.find((e) => e.line === 'second')!.timestamp, 1714566600000000000n);
    const third = got.find((e) => e.line === 'garbage third')!;
    assert.ok(third.timestamp > 1714566600000000000n * 1n, 'skip keeps the read time');
  });

  it('decolorize, static_labels, labels, structured_metadata, tenant, labeldrop and pack', async () => {
    await loki.waitFor(() => loki.entries().some((e) => e.labels.tenant_label === 'acme'));
    const [e] = loki.entries().filter((x) => x.labels.tenant_label === 'acme');
    assert.equal(e!.tenant, 'acme', 'sent with X-Scope-OrgID from the tenant stage');
    assert.deepEqual(e!.labels, {
      job: 'labels',
      filename: join(dir, 'labels', 'app.log'),
      tenant_label: 'acme',
    });
    assert.deepEqual(e!.structuredMetadata, { trace_id: 'abc123' });
    assert.deepEqual(JSON.parse(e!.line), { env: 'prod', _entry: 'red alert tenant=acme trace=abc123' });
  });

  it('match drops by LogQL selector, drop by length, both counted by reason', async () => {
    await loki.waitFor(() => of('filter').length === 2);
    // Every line has gone through the pipeline once both drops are counted.
    const metrics = await metricsWhen(
      port,
      (m) => /reason="noisy"\} 1/.test(m) && /reason="too_long"\} 1/.test(m),
    );
    assert.deepEqual(
      of('filter')
        .map((e) => [e.line, e.labels.level])
        .sort(),
      [
        ['keep me level=info', 'info'],
        ['keep too level=error', 'error'],
      ],
    );
    assert.match(metrics, /logentry_dropped_lines_total\{reason="noisy"\} 1/);
    assert.match(metrics, /logentry_dropped_lines_total\{reason="too_long"\} 1/);
  });

  it('multiline joins a stack trace and flushes the last block on max_wait_time', async () => {
    await loki.waitFor(() => of('multiline').length === 2);
    assert.deepEqual(
      of('multiline').map((e) => e.line),
      [
        '2024-05-01 ERROR something failed\n  at com.example.Foo.bar(Foo.java:1)\n  at com.example.Main.main(Main.java:2)',
        '2024-05-01 INFO recovered',
      ],
    );
  });

  it('metrics stage counters and histograms appear on /metrics', async () => {
    await loki.waitFor(() => of('metrics').length === 3);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /promtail_custom_e2e_requests_total\{[^}]*job="metrics"[^}]*\} 3/);
    assert.match(metrics, /promtail_custom_e2e_response_bytes_bucket\{[^}]*le="1024"[^}]*\} 3/);
    assert.match(metrics, /promtail_custom_e2e_response_bytes_bucket\{[^}]*le="256"[^}]*\} 1/);
    assert.match(metrics, /promtail_custom_e2e_response_bytes_sum\{[^}]*\} 1664/);
  });
});

describe('the inspector', () => {
  it('`-stdin -dry-run -inspect` shows what each stage changed, with no Loki', async () => {
    const { dir, cleanup } = tempDir();
    const config = writeConfig({
      dir,
      scrapeConfigs: [
        '  - job_name: inspect',
        '    static_configs:',
        '      - labels: { job: inspect }',
        '    pipeline_stages:',
        '      - json: { expressions: { level: } }',
        '      - labels: { level: }',
        '      - drop: { source: level, value: debug }',
      ].join('\n'),
    });
    const run = runCli([`-config.file=${config}`, '-stdin', '-dry-run', '-inspect'], {
      input: '{"level":"info","msg":"a"}\n{"level":"debug","msg":"b"}\n',
    });
    assert.equal(await run.exited, 0);
    assert.match(run.stdout, /\[inspect: json stage\]/);
    assert.match(run.stdout, /\[inspect: labels stage\]/);
    assert.match(run.stdout, /\+: .*level.*info/);
    assert.match(run.stdout, /drop/);
    const printed = run.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    assert.equal(printed.length, 1, 'the debug line was dropped');
    assert.match(printed[0]!, /\{job="inspect", level="info"\}\t\{"level":"info","msg":"a"\}$/);
    cleanup();
  });
});
