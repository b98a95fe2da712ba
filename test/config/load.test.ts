import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaults } from '../../src/config/defaults.js';
import { applyFlagOverrides, FlagError, parseExternalLabelsFlag } from '../../src/config/flags.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { ignoredServerKeys } from '../../src/config/server-keys.js';
import type { Config } from '../../src/config/types.js';
import { parseRelabelRules } from '../../src/relabel/relabel.js';

const bad = 'fixtures/config/bad';
const url = 'http://localhost:3100/loki/api/v1/push';
const minimal = `clients:\n  - url: ${url}\n`;

function parse(text: string, opts: Partial<Parameters<typeof parseConfig>[2]> = {}): Config {
  return parseConfig(text, 'test.yaml', { expandEnv: false, ...opts });
}

/** parseRelabelRules is another engineer's work in progress; relabel tests wait for it. */
function relabelReady(): boolean {
  try {
    parseRelabelRules(ConfigNode.parse('- source_labels: [a]\n  target_label: b\n', 'probe.yaml'));
    return true;
  } catch (e) {
    return !/not implemented/.test(String(e));
  }
}

describe('loadConfig: bad configs name file, line and key', () => {
  const table: { file: string; line: number; key: string; reason: RegExp }[] = [
    {
      file: 'unknown-top-level.yaml',
      line: 5,
      key: 'scrape_config',
      reason: /unknown key \(allowed here: global, server/,
    },
    { file: 'unknown-nested.yaml', line: 3, key: 'clients[0].batch_wait', reason: /unknown key .*batchwait/ },
    {
      file: 'unknown-nested-deep.yaml',
      line: 5,
      key: 'clients[0].backoff_config.max_backoff',
      reason: /unknown key \(allowed here: min_period, max_period, max_retries\)/,
    },
    {
      file: 'unknown-scrape-key.yaml',
      line: 7,
      key: 'scrape_configs[0].static_configs[0].label',
      reason: /unknown key \(allowed here: targets, labels\)/,
    },
    {
      file: 'wrong-type.yaml',
      line: 2,
      key: 'server.http_listen_port',
      reason: /expected a number, got "eighty"/,
    },
    {
      file: 'wrong-type-list.yaml',
      line: 4,
      key: 'scrape_configs',
      reason: /expected a list, got a mapping/,
    },
    {
      file: 'wrong-type-bool.yaml',
      line: 5,
      key: 'positions.ignore_invalid_yaml',
      reason: /expected true or false, got "sometimes"/,
    },
    {
      file: 'bad-label-static.yaml',
      line: 9,
      key: 'scrape_configs[0].static_configs[0].labels.bad-name',
      reason: /invalid label name "bad-name"/,
    },
    {
      file: 'bad-label-external.yaml',
      line: 5,
      key: 'clients[0].external_labels.1zone',
      reason: /invalid label name "1zone"/,
    },
    {
      file: 'bad-label-value.yaml',
      line: 7,
      key: 'scrape_configs[0].static_configs[0].labels.job',
      reason: /not valid UTF-8/,
    },
    {
      file: 'duplicate-job.yaml',
      line: 10,
      key: 'scrape_configs[2].job_name',
      reason: /duplicate job_name "system" \(first used on line 4\)/,
    },
    { file: 'missing-url.yaml', line: 3, key: 'clients[1].url', reason: /is required: the push URL of Loki/ },
    { file: 'bad-url.yaml', line: 2, key: 'clients[0].url', reason: /unsupported URL scheme "loki"/ },
    {
      file: 'bad-duration.yaml',
      line: 3,
      key: 'clients[0].batchwait',
      reason: /invalid duration "1 second"/,
    },
    {
      file: 'bad-duration-bare.yaml',
      line: 4,
      key: 'positions.sync_period',
      reason: /invalid duration "10"/,
    },
    {
      file: 'unsupported-target.yaml',
      line: 5,
      key: 'scrape_configs[0].gelf',
      reason: /is not supported by logferry/,
    },
    {
      file: 'journal.yaml',
      line: 5,
      key: 'scrape_configs[0].static_configs',
      reason: /a job with journal reads no files/,
    },
    { file: 'no-clients.yaml', line: 1, key: 'clients', reason: /at least one client is required/ },
    { file: 'invalid-yaml.yaml', line: 4, key: '', reason: /Flow sequence/ },
    { file: 'duplicate-key.yaml', line: 5, key: '', reason: /unique/ },
    {
      file: 'bad-log-level.yaml',
      line: 2,
      key: 'server.log_level',
      reason: /must be one of debug, info, warn, error/,
    },
    { file: 'empty-job-name.yaml', line: 4, key: 'scrape_configs[0].job_name', reason: /job_name is empty/ },
    { file: 'missing-job-name.yaml', line: 4, key: 'scrape_configs[0].job_name', reason: /is required/ },
    {
      file: 'decompression-no-format.yaml',
      line: 6,
      key: 'scrape_configs[0].decompression.format',
      reason: /required when decompression is enabled/,
    },
    {
      file: 'bad-encoding.yaml',
      line: 5,
      key: 'scrape_configs[0].encoding',
      reason: /unknown encoding "EBCDIC-FANCY" \(use an IANA name/,
    },
    {
      file: 'password-and-file.yaml',
      line: 6,
      key: 'clients[0].basic_auth.password_file',
      reason: /only one of password and password_file/,
    },
    { file: 'oauth2.yaml', line: 3, key: 'clients[0].oauth2', reason: /not supported by logferry/ },
    {
      file: 'pipeline-stage-shape.yaml',
      line: 6,
      key: 'scrape_configs[0].pipeline_stages[0]',
      reason: /exactly one key/,
    },
  ];

  it('covers every fixture', () => {
    assert.deepEqual(readdirSync(bad).sort(), table.map((t) => t.file).sort());
  });

  for (const t of table) {
    it(t.file, () => {
      const path = join(bad, t.file);
      assert.throws(
        () => loadConfig(path, { expandEnv: false }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
          assert.equal(e.file, path);
          assert.equal(e.line, t.line, e.message);
          assert.equal(e.key, t.key, e.message);
          assert.match(e.reason, t.reason);
          assert.ok(e.message.startsWith(`${path}:${t.line}: ${t.key ? `${t.key}: ` : ''}`), e.message);
          return true;
        },
      );
    });
  }

  it('fails on the line of a byte that is not UTF-8', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logferry-config-'));
    try {
      const file = join(dir, 'latin1.yaml');
      writeFileSync(
        file,
        Buffer.concat([
          Buffer.from(`${minimal}positions:\n  filename: /tmp/p`),
          Buffer.from([0xe9]),
          Buffer.from('.yaml\n'),
        ]),
      );
      assert.throws(
        () => loadConfig(file, { expandEnv: false }),
        (e: unknown) => e instanceof ConfigError && e.line === 4 && /not valid UTF-8/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which file it could not read', () => {
    assert.throws(
      () => loadConfig('/nonexistent/logferry.yaml', { expandEnv: false }),
      /config file \/nonexistent\/logferry.yaml does not exist: pass the path of your Promtail config with -config.file/,
    );
  });

  it('rejects a scrape target kind it does not read, whatever the kind', () => {
    for (const key of [
      'gcplog',
      'kafka',
      'gelf',
      'windows_events',
      'docker_sd_configs',
      'consul_sd_configs',
    ]) {
      const text = `${minimal}scrape_configs:\n  - job_name: x\n    ${key}:\n      labels: {job: x}\n`;
      assert.throws(() => parse(text), {
        name: 'ConfigError',
        message: `test.yaml:5: scrape_configs[0].${key}: is not supported by logferry: logferry reads log files (static_configs, file_sd_configs, kubernetes_sd_configs), the systemd journal, syslog and Loki pushes`,
      });
    }
  });

  it('reads journal, syslog and loki_push_api blocks with their modules; one source per job, without discovery', () => {
    const job = (body: string) => `${minimal}scrape_configs:\n  - job_name: x\n${body}`;
    const j = parse(job('    journal:\n      max_age: 1h\n      labels: {job: j}\n')).scrapeConfigs[0]!;
    assert.equal(j.source?.kind, 'journal');
    assert.deepEqual(j.source?.config.labels, { job: 'j' });
    const s = parse(job('    syslog:\n      listen_address: 127.0.0.1:1514\n')).scrapeConfigs[0]!;
    assert.equal(s.source?.kind, 'syslog');
    const p = parse(job('    loki_push_api:\n      server: {http_listen_port: 3500}\n')).scrapeConfigs[0]!;
    assert.equal(p.source?.kind, 'push');
    assert.equal(parse(job('    static_configs: []\n')).scrapeConfigs[0]!.source, undefined);
    assert.throws(
      () => parse(job('    journal: {}\n    syslog:\n      listen_address: :1514\n')),
      /test.yaml:6: scrape_configs\[0\].syslog: a scrape config reads one source: it already has journal/,
    );
    assert.throws(() => parse(job('    syslog: {}\n')), /scrape_configs\[0\].syslog.listen_address/);
  });

  it('checks the client auth combinations Prometheus forbids', () => {
    const cases: [string, RegExp][] = [
      [
        'bearer_token: a\n    bearer_token_file: /b',
        /clients\[0\].bearer_token_file: give only one of bearer_token and bearer_token_file/,
      ],
      [
        'bearer_token: a\n    basic_auth: {username: u, password: p}',
        /clients\[0\].basic_auth: give only one of/,
      ],
      ['authorization: {type: Basic, credentials: x}', /authorization.type: is not supported by logferry/],
      ['tls_config: {cert_file: /c.pem}', /tls_config.cert_file: cert_file needs key_file too/],
      [
        'tls_config: {ca: "-----BEGIN"}',
        /tls_config.ca: is not supported by logferry: put the PEM in a file and use ca_file/,
      ],
      ['headers: {"bad header": x}', /headers.bad header: invalid HTTP header name/],
      ['proxy_url: "not a url"', /proxy_url: invalid URL/],
    ];
    for (const [extra, reason] of cases) {
      assert.throws(() => parse(`${minimal}    ${extra}\n`), reason, extra);
    }
  });

  it('rejects two clients that would send the same entries twice', () => {
    assert.throws(
      () => parse(`clients:\n  - url: ${url}\n  - url: ${url}\n`),
      /test.yaml:3: clients\[1\]: same settings as clients\[0\]/,
    );
    assert.throws(
      () => parse(`clients:\n  - url: ${url}\n    name: a\n  - url: ${url}/2\n    name: a\n`),
      /test.yaml:5: clients\[1\].name: duplicate client name "a"/,
    );
  });
});

describe('loadConfig: defaults', () => {
  const config = parse(minimal);
  const client = config.clients[0]!;
  const table: [string, unknown, unknown][] = [
    ['server.httpListenPort', config.server.httpListenPort, 9080],
    ['server.httpListenAddress', config.server.httpListenAddress, ''],
    ['server.logLevel', config.server.logLevel, 'info'],
    ['server.logFormat', config.server.logFormat, 'logfmt'],
    ['server.disable', config.server.disable, false],
    ['server.registerInstrumentation', config.server.registerInstrumentation, true],
    ['server.enableRuntimeReload', config.server.enableRuntimeReload, false],
    ['server.gracefulShutdownTimeoutMs', config.server.gracefulShutdownTimeoutMs, 30_000],
    ['server.healthCheckTarget', config.server.healthCheckTarget, true],
    ['positions.filename', config.positions.filename, '/var/log/positions.yaml'],
    ['positions.syncPeriodMs', config.positions.syncPeriodMs, 10_000],
    ['positions.ignoreInvalidYaml', config.positions.ignoreInvalidYaml, false],
    ['client.batchWaitMs', client.batchWaitMs, 1_000],
    ['client.batchSizeBytes', client.batchSizeBytes, 1_048_576],
    ['client.timeoutMs', client.timeoutMs, 10_000],
    ['client.backoff', client.backoff, { minPeriodMs: 500, maxPeriodMs: 300_000, maxRetries: 10 }],
    ['client.externalLabels', client.externalLabels, {}],
    ['client.headers', client.headers, {}],
    ['client.tls', client.tls, { insecureSkipVerify: false }],
    ['client.tenantId', client.tenantId, undefined],
    ['client.dropRateLimitedBatches', client.dropRateLimitedBatches, false],
    [
      'limits',
      config.limits,
      {
        readlineRate: 10_000,
        readlineBurst: 10_000,
        readlineRateEnabled: false,
        readlineRateDrop: true,
        maxStreams: 0,
        maxLineSize: 0,
        maxLineSizeTruncate: false,
      },
    ],
    ['targetConfig.syncPeriodMs', config.targetConfig.syncPeriodMs, 10_000],
    ['global.fileWatch', config.global.fileWatch, { minPollFrequencyMs: 250, maxPollFrequencyMs: 250 }],
    ['scrapeConfigs', config.scrapeConfigs, []],
  ];
  for (const [name, got, want] of table) it(name, () => assert.deepEqual(got, want));

  it('agree with defaults.ts', () => {
    assert.equal(config.server.httpListenPort, defaults.server.httpListenPort);
    assert.equal(client.batchSizeBytes, defaults.client.batchSizeBytes);
  });

  it('take every value given instead', () => {
    const text = [
      'server:',
      '  http_listen_address: 127.0.0.1',
      '  http_listen_port: 0',
      '  log_level: debug',
      '  log_format: json',
      '  graceful_shutdown_timeout: 5s',
      '  enable_runtime_reload: true',
      'positions:',
      '  filename: /tmp/positions.yaml',
      '  sync_period: 1m30s',
      '  ignore_invalid_yaml: true',
      'clients:',
      `  - url: ${url}`,
      '    tenant_id: team-a',
      '    batchwait: 250ms',
      '    batchsize: 512KiB',
      '    timeout: 3s',
      '    backoff_config: {min_period: 100ms, max_period: 10s, max_retries: 0}',
      '    drop_rate_limited_batches: true',
      '    headers: {X-Team: logs}',
      '    tls_config: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem, server_name: loki, insecure_skip_verify: true}',
      'limits_config:',
      '  readline_rate_enabled: true',
      '  readline_rate: 2.5',
      '  readline_burst: 5',
      '  readline_rate_drop: false',
      '  max_streams: 100',
      '  max_line_size: 256kb',
      '  max_line_size_truncate: true',
      'target_config:',
      '  sync_period: 30s',
      'global:',
      '  file_watch_config:',
      '    min_poll_frequency: 1s',
      '',
    ].join('\n');
    const c = parse(text);
    assert.deepEqual(
      { ...c.server },
      {
        disable: false,
        httpListenAddress: '127.0.0.1',
        httpListenPort: 0,
        registerInstrumentation: true,
        enableRuntimeReload: true,
        gracefulShutdownTimeoutMs: 5000,
        logLevel: 'debug',
        logFormat: 'json',
        healthCheckTarget: true,
        httpPathPrefix: '',
      },
    );
    assert.deepEqual(c.positions, {
      filename: '/tmp/positions.yaml',
      syncPeriodMs: 90_000,
      ignoreInvalidYaml: true,
    });
    assert.deepEqual(c.clients[0], {
      url,
      tenantId: 'team-a',
      batchWaitMs: 250,
      batchSizeBytes: 512 * 1024,
      timeoutMs: 3000,
      backoff: { minPeriodMs: 100, maxPeriodMs: 10_000, maxRetries: 0 },
      externalLabels: {},
      headers: { 'X-Team': 'logs' },
      tls: {
        caFile: '/ca.pem',
        certFile: '/c.pem',
        keyFile: '/k.pem',
        serverName: 'loki',
        insecureSkipVerify: true,
      },
      dropRateLimitedBatches: true,
    });
    assert.deepEqual(c.limits, {
      readlineRate: 2.5,
      readlineBurst: 5,
      readlineRateEnabled: true,
      readlineRateDrop: false,
      maxStreams: 100,
      maxLineSize: 262_144, // flagext.ByteSize: 256kb = 256 × 1024
      maxLineSizeTruncate: true,
    });
    assert.equal(c.targetConfig.syncPeriodMs, 30_000);
    // An absent maximum follows the minimum, as Promtail documents.
    assert.deepEqual(c.global.fileWatch, { minPollFrequencyMs: 1000, maxPollFrequencyMs: 1000 });
  });

  it('read auth settings', () => {
    const c = parse(
      `clients:\n  - url: ${url}\n    basic_auth: {username: u, password_file: /p}\n  - url: ${url}\n    authorization: {credentials: tok}\n  - url: ${url}\n    bearer_token_file: /t\n`,
    );
    assert.deepEqual(c.clients[0]!.basicAuth, { username: 'u', passwordFile: '/p' });
    assert.equal(c.clients[1]!.bearerToken, 'tok');
    assert.equal(c.clients[2]!.bearerTokenFile, '/t');
  });
});

describe('loadConfig: Promtail compatibility', () => {
  it('an empty file needs a client, as in Promtail; with allowNoClients it is all defaults', () => {
    for (const text of ['', '# only a comment\n', '---\n']) {
      assert.throws(() => parse(text), /test.yaml:1: clients: at least one client is required/);
      const c = parse(text, { allowNoClients: true });
      assert.deepEqual(c.clients, []);
      assert.deepEqual(c.scrapeConfigs, []);
      assert.equal(c.server.httpListenPort, 9080);
    }
  });

  it('rejects a document that is not a mapping', () => {
    assert.throws(() => parse('- a\n- b\n'), /test.yaml:1: expected a mapping of sections/);
  });

  it('accepts the dskit server keys Promtail users have, and ignores them', () => {
    const text = `server:\n${ignoredServerKeys.map((k) => `  ${k}: 0`).join('\n')}\n  http_listen_port: 3101\n${minimal}`;
    assert.equal(parse(text).server.httpListenPort, 3101);
    assert.throws(
      () => parse(`server:\n  http_tls_config: {cert_file: /c.pem}\n${minimal}`),
      /test.yaml:2: server.http_tls_config: a certificate is set without its key/,
    );
  });

  it('accepts and ignores options, tracing and the client keys that change nothing; reads the wal block', () => {
    const c = parse(
      `options:\n  stream_lag_labels: filename\ntracing:\n  enabled: false\nwal:\n  enabled: false\n  dir: /tmp/wal\nclients:\n  - url: ${url}\n    follow_redirects: false\n    enable_http2: true\n`,
    );
    assert.equal(c.clients.length, 1);
    assert.deepEqual(c.wal, { enabled: false, dir: '/tmp/wal', maxSize: 1024 ** 3, fullPolicy: 'block' });
    // The disk buffer (test/wal/config.test.ts has its keys and errors).
    assert.equal(parse(`wal:\n  enabled: true\n  dir: /tmp/wal\n${minimal}`).wal?.enabled, true);
    assert.throws(() => parse(`wal:\n  enabled: true\n${minimal}`), /test.yaml:2: wal.enabled: needs `dir`/);
  });

  it('reads limit_config, the old name of limits_config', () => {
    assert.equal(parse(`limit_config:\n  max_streams: 7\n${minimal}`).limits.maxStreams, 7);
    assert.throws(
      () => parse(`limit_config: {}\nlimits_config: {}\n${minimal}`),
      /test.yaml:1: limit_config: is the old name/,
    );
  });

  it('accepts a null pipeline_stages and a static config without targets (Promtail documentation)', () => {
    const c = parse(
      `${minimal}scrape_configs:\n - job_name: system\n   pipeline_stages:\n   static_configs:\n   - labels:\n      job: varlogs\n      __path__: /var/log/*.log\n`,
    );
    const sc = c.scrapeConfigs[0]!;
    assert.equal(sc.jobName, 'system');
    assert.equal(sc.line, 4);
    assert.ok(sc.pipelineStages.missing);
    assert.deepEqual(sc.staticConfigs, [
      { targets: [], labels: { job: 'varlogs', __path__: '/var/log/*.log' } },
    ]);
    assert.deepEqual(sc.relabelConfigs, []);
  });

  it('keeps kubernetes_sd_configs, file_sd_configs and pipeline_stages as nodes', () => {
    const c = parse(
      `${minimal}scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: pod\n    file_sd_configs:\n      - files: [/etc/targets/*.yaml]\n    pipeline_stages:\n      - cri: {}\n`,
    );
    const sc = c.scrapeConfigs[0]!;
    assert.equal(sc.kubernetesSdConfigs.length, 1);
    assert.equal(sc.kubernetesSdConfigs[0]!.get('role').string(), 'pod');
    assert.equal(sc.kubernetesSdConfigs[0]!.path, 'scrape_configs[0].kubernetes_sd_configs[0]');
    assert.deepEqual(sc.fileSdConfigs[0]!.get('files').stringList(), ['/etc/targets/*.yaml']);
    assert.deepEqual(sc.pipelineStages.list()[0]!.keys(), ['cri']);
  });

  it('reads encoding and decompression', () => {
    const c = parse(
      `${minimal}scrape_configs:\n  - job_name: a\n    encoding: UTF-8\n    decompression:\n      enabled: true\n      initial_delay: 10s\n      format: gz\n`,
    );
    assert.equal(c.scrapeConfigs[0]!.encoding, 'UTF-8');
    assert.deepEqual(c.scrapeConfigs[0]!.decompression, {
      enabled: true,
      initialDelayMs: 10_000,
      format: 'gz',
    });
    assert.throws(
      () =>
        parse(
          `${minimal}scrape_configs:\n  - job_name: a\n    decompression: {enabled: true, format: zip}\n`,
        ),
      /decompression.format: must be one of gz, z/,
    );
    assert.throws(
      () =>
        parse(
          `${minimal}scrape_configs:\n  - job_name: a\n    decompression: {enabled: true, format: bz2}\n`,
        ),
      /decompression.format: bz2 is not supported/,
    );
    for (const name of ['UTF-16', 'utf-16le', 'ISO-8859-1', 'windows-1252', 'Shift_JIS', 'EUC-KR', 'GBK'])
      assert.equal(
        parse(`${minimal}scrape_configs:\n  - job_name: a\n    encoding: ${name}\n`).scrapeConfigs[0]!
          .encoding,
        name,
      );
  });

  it('relabel_configs go through parseRelabelRules', { todo: !relabelReady() }, () => {
    const c = parse(
      `${minimal}scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [__meta_kubernetes_pod_name]\n        target_label: pod\n`,
    );
    const rule = c.scrapeConfigs[0]!.relabelConfigs[0]!;
    assert.equal(rule.targetLabel, 'pod');
    assert.equal(rule.line, 6);
  });

  describe('the legacy single `client:` key', () => {
    it('is one more client, after those of `clients:`', () => {
      const c = parse(`client:\n  url: ${url}/legacy\n  tenant_id: old\nclients:\n  - url: ${url}\n`);
      assert.deepEqual(
        c.clients.map((x) => [x.url, x.tenantId, x.fromClientKey]),
        [
          [url, undefined, undefined],
          [`${url}/legacy`, 'old', true],
        ],
      );
    });

    it('alone is enough', () => {
      const c = parse(`client:\n  url: ${url}\n  batchwait: 3s\n`);
      assert.equal(c.clients.length, 1);
      assert.equal(c.clients[0]!.batchWaitMs, 3000);
    });

    it('without url gives its external labels to every client (their own labels win)', () => {
      const c = parse(
        `client:\n  external_labels: {host: h1, env: dev}\nclients:\n  - url: ${url}\n    external_labels: {env: prod}\n`,
      );
      assert.equal(c.clients.length, 1);
      assert.deepEqual(c.clients[0]!.externalLabels, { host: 'h1', env: 'prod' });
    });
  });
});

describe('applyFlagOverrides', () => {
  const twoClients = parse(
    `clients:\n  - url: ${url}\n  - url: ${url}/2\n    external_labels: {env: prod}\n`,
  );

  it('-client.url adds a client next to those of the file, with the other -client.* flags', () => {
    const c = applyFlagOverrides(twoClients, {
      'client.url': 'http://flag:3100/loki/api/v1/push',
      'client.tenant-id': 'flag-tenant',
      'client.batch-wait': '5s',
      'client.batch-size-bytes': 2048,
    });
    assert.equal(c.clients.length, 3);
    assert.deepEqual(
      { ...c.clients[2]!, backoff: undefined, tls: undefined },
      {
        url: 'http://flag:3100/loki/api/v1/push',
        tenantId: 'flag-tenant',
        batchWaitMs: 5000,
        batchSizeBytes: 2048,
        timeoutMs: 10_000,
        backoff: undefined,
        tls: undefined,
        externalLabels: {},
        headers: {},
        dropRateLimitedBatches: false,
        fromClientKey: true,
      },
    );
    // The file's clients keep their own settings, as in Promtail.
    assert.equal(c.clients[0]!.tenantId, undefined);
    assert.equal(c.clients[0]!.batchWaitMs, 1000);
    assert.equal(twoClients.clients.length, 2, 'the input is not changed');
  });

  it('-client.* flags configure the `client:` block of the file, which -client.url replaces', () => {
    const legacy = parse(`client:\n  url: ${url}\n  batchwait: 2s\nclients:\n  - url: ${url}/2\n`);
    const c = applyFlagOverrides(
      legacy,
      new Map<string, string | number | boolean>([
        ['client.url', 'https://other/push'],
        ['client.batch-size-bytes', 100],
      ]),
    );
    assert.deepEqual(
      c.clients.map((x) => [x.url, x.batchWaitMs, x.batchSizeBytes]),
      [
        [`${url}/2`, 1000, 1_048_576],
        ['https://other/push', 2000, 100],
      ],
    );
  });

  it('-client.external-labels reach every client; a client label of the file wins', () => {
    const c = applyFlagOverrides(twoClients, { 'client.external-labels': 'env=dev,host=h1' });
    assert.equal(c.clients.length, 2, 'labels alone add no client');
    assert.deepEqual(c.clients[0]!.externalLabels, { env: 'dev', host: 'h1' });
    assert.deepEqual(c.clients[1]!.externalLabels, { env: 'prod', host: 'h1' });
  });

  it('-client.tenant-id without -client.url leaves the clients of the file alone, as in Promtail', () => {
    const c = applyFlagOverrides(twoClients, { 'client.tenant-id': 'x' });
    assert.deepEqual(c.clients, twoClients.clients);
  });

  it('-positions.file, -server.* and -log.* replace the file', () => {
    const c = applyFlagOverrides(twoClients, {
      'positions.file': '/data/positions.yaml',
      'server.http-listen-address': '127.0.0.1',
      'server.http-listen-port': 0,
      'log.level': 'debug',
      'log.format': 'json',
      'config.file': 'ignored.yaml',
    });
    assert.equal(c.positions.filename, '/data/positions.yaml');
    assert.equal(c.server.httpListenAddress, '127.0.0.1');
    assert.equal(c.server.httpListenPort, 0);
    assert.equal(c.server.logLevel, 'debug');
    assert.equal(c.server.logFormat, 'json');
  });

  it('rejects bad flag values with Go-like messages', () => {
    const cases: [Record<string, string | number>, RegExp][] = [
      [{ 'client.url': 'loki:3100' }, /invalid value "loki:3100" for flag -client.url/],
      [{ 'client.batch-wait': 'soon' }, /invalid value "soon" for flag -client.batch-wait/],
      [{ 'client.batch-size-bytes': 1.5 }, /invalid value "1.5" for flag -client.batch-size-bytes/],
      [{ 'client.external-labels': 'a-b=c' }, /flag -client.external-labels: "a-b=c" is not name=value/],
      [
        { 'server.http-listen-port': 70000 },
        /flag -server.http-listen-port: expected an integer from 0 to 65535/,
      ],
      [{ 'log.level': 'loud' }, /flag -log.level: must be one of debug, info, warn, error/],
      [{ 'log.format': 'xml' }, /flag -log.format: must be one of logfmt, json/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(
        () => applyFlagOverrides(twoClients, flags),
        (e: unknown) => e instanceof FlagError && message.test(e.message),
      );
    }
  });

  it('parses -client.external-labels', () => {
    assert.deepEqual(parseExternalLabelsFlag('a=1, b = two ,c='), { a: '1', b: 'two', c: '' });
    assert.deepEqual(parseExternalLabelsFlag(''), {});
  });

  it('through loadConfig: -client.url satisfies the client check, and a `client:` block without url gets it', () => {
    assert.equal(parse('', { flags: { 'client.url': url } }).clients[0]!.url, url);
    const c = parse('client:\n  tenant_id: from-file\n  batchwait: 4s\n', { flags: { 'client.url': url } });
    assert.deepEqual(
      [c.clients[0]!.url, c.clients[0]!.tenantId, c.clients[0]!.batchWaitMs],
      [url, 'from-file', 4000],
    );
  });
});

describe('config/examples load without error', () => {
  const dir = 'config/examples';
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  it('there are examples', () => assert.ok(files.length >= 3));
  for (const file of files) {
    it(file, (t) => {
      let c: Config;
      try {
        c = loadConfig(join(dir, file), { expandEnv: true, env: {} });
      } catch (e) {
        // Stages and relabeling are other engineers' work in progress: wait for them.
        if (/not implemented/.test(String(e))) return void t.todo(String(e));
        throw e;
      }
      assert.ok(c.clients.length >= 1);
      assert.ok(c.scrapeConfigs.length >= 1);
    });
  }
  it('promtail-expand-env.yaml takes its values from the environment', () => {
    const c = loadConfig(join(dir, 'promtail-expand-env.yaml'), {
      expandEnv: true,
      env: { LOKI_URL: 'https://logs.example/loki/api/v1/push', HOSTNAME: 'node-7', HTTP_PORT: '3101' },
    });
    assert.equal(c.clients[0]!.url, 'https://logs.example/loki/api/v1/push');
    assert.deepEqual(c.clients[0]!.externalLabels, { host: 'node-7' });
    assert.equal(c.server.httpListenPort, 3101);
    assert.equal(c.scrapeConfigs[0]!.staticConfigs[0]!.labels.host, 'node-7');
  });
});
