// The dry-run tools on journal, syslog and push jobs: `logferry targets` lists each source with
// its settings; `logferry pipeline --job <journal job>` reads saved journal entries (export
// format from real journal files, and journalctl -o json) through the same code as the target.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';
import { writeJournal } from '../support/journal-writer.js';
import { cli } from './helpers.js';

const { dir, cleanup } = tempDir();
after(cleanup);

const config = join(dir, 'config.yaml');
writeFileSync(
  config,
  `clients:
  - url: http://127.0.0.1:1/loki/api/v1/push
scrape_configs:
  - job_name: journal
    journal:
      path: ${join(dir, 'journal')}
      labels: {job: systemd-journal}
    relabel_configs:
      - source_labels: [__journal__systemd_unit]
        target_label: unit
      - source_labels: [__journal_priority_keyword]
        target_label: level
    pipeline_stages:
      - regex: {expression: 'for (?P<user>\\w+)'}
      - labels: {user:}
  - job_name: syslog
    syslog:
      listen_address: 127.0.0.1:1514
      listen_protocol: udp
      labels: {job: syslog}
  - job_name: push
    loki_push_api:
      server: {http_listen_port: 3500}
      labels: {pushserver: p1}
`,
);

describe('dry-run tools and source jobs', () => {
  it('logferry targets lists the journal, syslog and push sources', async () => {
    const text = await cli(['targets', '-config.file', config]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /job journal \(line 4\): journal source, no discovery/);
    assert.match(
      text.stdout,
      /job syslog \(line \d+\): syslog source, no discovery\n.*\n.*labels {2}\{job="syslog"\}/,
    );
    assert.match(text.stdout, /listen +udp 127\.0\.0\.1:1514/);
    assert.match(text.stdout, /job push \(line \d+\): loki_push_api source/);
    assert.match(text.stdout, /0 target\(s\), 0 dropped, 3 source\(s\)\n$/);
    const json = await cli(['targets', '-config.file', config, '--output', 'json']);
    const doc = JSON.parse(json.stdout) as { sources: { job: string; kind: string; labels: object }[] };
    assert.deepEqual(
      doc.sources.map((s) => [s.job, s.kind, s.labels]),
      [
        ['journal', 'journal', { job: 'systemd-journal' }],
        ['syslog', 'syslog', { job: 'syslog' }],
        ['push', 'push', { pushserver: 'p1' }],
      ],
    );
  });

  it('logferry pipeline --job journal reads journalctl -o export and -o json input', async () => {
    const journalDir = join(dir, 'journal');
    await writeJournal(journalDir, 'a.journal', [
      {
        realtimeUs: 1714557600123456n,
        fields: [
          ['MESSAGE', 'Accepted publickey for deploy'],
          ['PRIORITY', '6'],
          ['_SYSTEMD_UNIT', 'ssh.service'],
        ],
      },
      { realtimeUs: 1714557601000000n, fields: [['PRIORITY', '3']] },
    ]);
    for (const output of ['export', 'json']) {
      const saved = execFileSync('journalctl', ['-D', journalDir, '--no-pager', `--output=${output}`]);
      const input = join(dir, `saved.${output}`);
      writeFileSync(input, saved);
      const r = await cli([
        'pipeline',
        '-config.file',
        config,
        '--job',
        'journal',
        '--output',
        'json',
        input,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const run = JSON.parse(r.stdout) as {
        lines: { entries: { labels: object; line: string; timestamp: string }[]; dropped: object[] }[];
      };
      assert.equal(run.lines.length, 2, output);
      assert.deepEqual(run.lines[0]!.entries, [
        {
          labels: { job: 'systemd-journal', unit: 'ssh.service', level: 'info', user: 'deploy' },
          timestamp: '2024-05-01T10:00:00.123456Z',
          line: 'Accepted publickey for deploy',
          structured_metadata: {},
        },
      ]);
      assert.deepEqual(run.lines[1]!.dropped, [{ stage: 'journal', reason: 'no_message' }]);
    }
    // --labels join the block's labels before relabeling; --time replaces the entries' own.
    const r = await cli([
      'pipeline',
      '-config.file',
      config,
      '--job',
      'journal',
      '--labels',
      'env=prod',
      '--time',
      '2024-06-01T00:00:00Z',
      '--output',
      'json',
      join(dir, 'saved.json'),
    ]);
    const run = JSON.parse(r.stdout) as { lines: { entries: { labels: object; timestamp: string }[] }[] };
    assert.deepEqual(run.lines[0]!.entries[0]!.labels, {
      env: 'prod',
      job: 'systemd-journal',
      level: 'info',
      unit: 'ssh.service',
      user: 'deploy',
    });
    assert.equal(run.lines[0]!.entries[0]!.timestamp, '2024-06-01T00:00:00Z');
  });

  it('logferry pipeline --job journal names bad input', async () => {
    const input = join(dir, 'bad.json');
    writeFileSync(input, '{"MESSAGE": "ok", "__REALTIME_TIMESTAMP": "1"}\n{not json\n');
    const r = await cli(['pipeline', '-config.file', config, '--job', 'journal', input]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /input line 2: not a journal JSON entry/);
  });
});
