// file_sd_configs with Prometheus's semantics: config validation, the target group file format,
// files that appear, change, shrink, break and disappear, refresh_interval, and a run of the
// built CLI whose targets come from a file.

import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import {
  FileSdDiscoverer,
  FileSdError,
  parseFileSdConfig,
  parseTargetGroupFile,
} from '../../src/discovery/file-sd.js';
import { createLogger } from '../../src/log.js';
import type { TargetGroup } from '../../src/types.js';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { startLokiReceiver } from '../support/loki-receiver.js';
import { until } from './kube-harness.js';

const parse = (yaml: string) =>
  parseFileSdConfig(ConfigNode.parse(yaml, '/etc/logferry/config.yaml'), (p) => resolve('/etc/logferry', p));

describe('file_sd_configs: config', () => {
  it('resolves patterns from the config directory and defaults refresh_interval to 5m', () => {
    assert.deepEqual(parse('files: [targets/*.json, /abs/t.yml]\n'), {
      files: ['/etc/logferry/targets/*.json', '/abs/t.yml'],
      refreshIntervalMs: 300_000,
    });
    assert.equal(parse('files: [a.yaml]\nrefresh_interval: 30s\n').refreshIntervalMs, 30_000);
  });

  const bad: [string, string, RegExp][] = [
    [
      'no files',
      'refresh_interval: 1m\n',
      /config\.yaml:1: files: file service discovery config must contain at least one path name/,
    ],
    [
      'a glob in a directory',
      'files: ["dir/*/t.json"]\n',
      /config\.yaml:1: files\[0\]: path name "dir\/\*\/t\.json" is not valid/,
    ],
    [
      'another extension',
      'files: [t.txt]\n',
      /config\.yaml:1: files\[0\]: .* must end in \.json, \.yml or \.yaml/,
    ],
    [
      'a zero refresh_interval',
      'files: [a.json]\nrefresh_interval: 0s\n',
      /config\.yaml:2: refresh_interval: must be greater than 0/,
    ],
    ['an unknown key', 'files: [a.json]\nrefresh: 1m\n', /config\.yaml:2: refresh: unknown key/],
  ];
  for (const [name, yaml, want] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => parse(yaml),
        (e: unknown) => e instanceof ConfigError && want.test(e.message),
      ));
  }
});

describe('file_sd_configs: target group files', () => {
  it('reads JSON and YAML lists of groups, adding __meta_filepath', () => {
    const json =
      '[{"targets": ["localhost"], "labels": {"job": "varlogs", "__path__": "/var/log/*.log"}}, {"targets": []}]';
    assert.deepEqual(parseTargetGroupFile('/t/a.json', json), [
      {
        source: '/t/a.json:0',
        targets: [{ __address__: 'localhost' }],
        labels: { job: 'varlogs', __path__: '/var/log/*.log', __meta_filepath: '/t/a.json' },
      },
      { source: '/t/a.json:1', targets: [], labels: { __meta_filepath: '/t/a.json' } },
    ]);
    assert.deepEqual(
      parseTargetGroupFile('/t/b.yml', '- targets: [host:9100, 8080]\n  labels: { port: 80 }\n'),
      [
        {
          source: '/t/b.yml:0',
          targets: [{ __address__: 'host:9100' }, { __address__: '8080' }],
          labels: { port: '80', __meta_filepath: '/t/b.yml' },
        },
      ],
    );
    assert.deepEqual(parseTargetGroupFile('/t/empty.yaml', ''), []);
  });

  const bad: [string, string, string, RegExp][] = [
    ['invalid JSON', 'a.json', '[{', /a\.json: not valid JSON/],
    ['a mapping instead of a list', 'a.yml', 'targets: [a]\n', /expected a list of target groups/],
    [
      'an invalid label name',
      'a.json',
      '[{"labels": {"0bad": "x"}}]',
      /group 0: "0bad" is not a valid label name/,
    ],
    ['an unknown key in YAML', 'a.yaml', '- targets: [a]\n  lables: {}\n', /group 0: unknown key "lables"/],
    [
      'a number as JSON label value',
      'a.json',
      '[{"labels": {"a": 1}}]',
      /the value of label "a" must be a string/,
    ],
    [
      'targets that are not a list',
      'a.json',
      '[{"targets": "a"}]',
      /group 0: targets must be a list of strings/,
    ],
    ['null JSON', 'a.json', 'null', /expected a list of target groups, got null/],
  ];
  for (const [name, file, text, want] of bad) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => parseTargetGroupFile(`/t/${file}`, text),
        (e: unknown) => e instanceof FileSdError && want.test(e.message),
      ));
  }
});

describe('file_sd_configs: watching files', () => {
  const tmp = tempDir('logferry-file-sd-');
  after(() => tmp.cleanup());

  async function start(files: string[], refreshIntervalMs = 300_000) {
    const logs: string[] = [];
    const groups = new Map<string, TargetGroup>();
    const d = new FileSdDiscoverer({
      config: { files, refreshIntervalMs },
      logger: createLogger({ write: (l) => logs.push(l) }),
      sourcePrefix: 'file_sd/0/',
    });
    await d.start((gs) => {
      for (const g of gs) groups.set(g.source, g);
    });
    const live = () =>
      [...groups.values()]
        .filter((g) => g.targets.length > 0)
        .map((g) => `${g.source} ${g.targets.map((t) => t.__address__).join(',')} ${g.labels.job ?? ''}`)
        .sort();
    return { d, groups, logs, live };
  }

  it('follows files that appear, change, shrink, break and disappear', async () => {
    const dir = join(tmp.dir, 'watch');
    mkdirSync(dir);
    const a = join(dir, 'a.json');
    const write = (file: string, text: string) => {
      // Atomic replace, as config management tools write.
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    write(
      a,
      JSON.stringify([
        { targets: ['h1'], labels: { job: 'one' } },
        { targets: ['h2'], labels: { job: 'two' } },
      ]),
    );
    writeFileSync(join(dir, 'ignored.txt'), 'not a target file');
    const { d, groups, logs, live } = await start([join(dir, '*.json'), join(dir, '*.yml')]);
    try {
      assert.deepEqual(live(), [`file_sd/0/${a}:0 h1 one`, `file_sd/0/${a}:1 h2 two`]);
      assert.equal(groups.get(`file_sd/0/${a}:0`)!.labels.__meta_filepath, a);

      const b = join(dir, 'b.yml');
      writeFileSync(b, '- targets: [h3]\n  labels: { job: three }\n');
      await until(() => live().length === 3, 'the new file');

      write(a, JSON.stringify([{ targets: ['h1', 'h4'], labels: { job: 'one' } }]));
      await until(() => live().length === 2 && live()[0]!.includes('h1,h4'), 'the shrunk file');
      assert.deepEqual(groups.get(`file_sd/0/${a}:1`)!.targets, [], 'the group that went is emptied');

      write(a, '[{"targets": ');
      await until(
        () => logs.some((l) => /error reading target file: keeping its previous targets/.test(l)),
        'the error',
      );
      assert.equal(live().length, 2, 'a broken file keeps its last targets');

      rmSync(a);
      await until(() => live().length === 1, 'the deleted file');
      assert.deepEqual(live(), [`file_sd/0/${b}:0 h3 three`]);
    } finally {
      await d.stop();
    }
  });

  it('finds files every refresh_interval even without a watch event', async () => {
    const dir = join(tmp.dir, 'later');
    const { d, live } = await start([join(dir, '*.yaml')], 100);
    try {
      assert.deepEqual(live(), []);
      mkdirSync(dir);
      writeFileSync(join(dir, 't.yaml'), '- targets: [late]\n');
      await until(() => live().length === 1, 'the file in a directory created after start');
    } finally {
      await d.stop();
    }
  });
});

describe('file_sd_configs in the agent', () => {
  it('tails the files that a target file names, with its labels', async () => {
    const loki = await startLokiReceiver();
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'targets'));
    const log = join(dir, 'logs', 'app.log');
    writeFileSync(log, 'from a file_sd target\n');
    writeFileSync(
      join(dir, 'targets', 'apps.json'),
      JSON.stringify([
        { targets: ['localhost'], labels: { job: 'fromfile', __path__: join(dir, 'logs', '*.log') } },
      ]),
    );
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: files',
        '    file_sd_configs:',
        '      - files: [targets/*.json]',
        '    relabel_configs:',
        '      - source_labels: [__meta_filepath]',
        '        regex: ".*/(.*)\\\\.json"',
        '        target_label: source_file',
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      await loki.waitFor((r) => r.entries().some((e) => e.line === 'from a file_sd target'));
      const e = loki.entries().find((x) => x.line === 'from a file_sd target')!;
      assert.deepEqual(e.labels, { job: 'fromfile', source_file: 'apps', filename: log });
    } finally {
      assert.equal(await agent.stop(), 0);
      await loki.close();
      cleanup();
    }
  });
});
