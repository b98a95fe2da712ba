// Promtail's flags through the built CLI: every flag of Promtail's -help is accepted, each flag
// that has an effect shows it in the effective config printed by -print-config-stderr, and the
// Go flag syntax (one or two dashes, -x=v and -x v) is read as Go reads it.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { flagSpecs, parseFlags, UsageError, usage } from '../../src/flags.js';
import { runCli, tempDir } from '../support/agent-process.js';

/** Runs `-stdin -dry-run -print-config-stderr` on empty input; resolves with the printed config and the run. */
async function effectiveConfig(config: string, flags: string[]) {
  const run = runCli([`-config.file=${config}`, '-stdin', '-dry-run', '-print-config-stderr', ...flags], {
    input: '',
  });
  const code = await run.exited;
  const m = /---\n# Loki Config\n# [^\n]*\n([\s\S]*?)\n\n/.exec(run.stderr);
  return { code, stderr: run.stderr, config: m ? (parseYaml(m[1]!) as Record<string, unknown>) : undefined };
}

function at(obj: unknown, path: string): unknown {
  let v = obj;
  for (const part of path.split('.')) {
    if (v === undefined || v === null) return undefined;
    v = /^\d+$/.test(part) ? (v as unknown[])[Number(part)] : (v as Record<string, unknown>)[part];
  }
  return v;
}

/** flag, value given, path in the effective config, value expected there. */
const table: [string, string, string, unknown][] = [
  [
    'client.url',
    'http://flag-loki:3100/loki/api/v1/push',
    'clients.1.url',
    'http://flag-loki:3100/loki/api/v1/push',
  ],
  ['client.tenant-id', 'team-a', 'clients.1.tenant_id', 'team-a'],
  ['client.batch-wait', '3s', 'clients.1.batchwait', '3s'],
  ['client.batch-size-bytes', '2048', 'clients.1.batchsize', 2048],
  ['client.timeout', '42s', 'clients.1.timeout', '42s'],
  ['client.max-retries', '3', 'clients.1.backoff_config.max_retries', 3],
  ['client.min-backoff', '1s', 'clients.1.backoff_config.min_period', '1s'],
  ['client.max-backoff', '2m', 'clients.1.backoff_config.max_period', '2m0s'],
  ['client.external-labels', 'cluster=eu,env=prod', 'clients.0.external_labels.cluster', 'eu'],
  ['client.drop-rate-limited-batches', 'true', 'clients.1.drop_rate_limited_batches', true],
  ['positions.file', '/tmp/flag-positions.yaml', 'positions.filename', '/tmp/flag-positions.yaml'],
  ['positions.sync-period', '7s', 'positions.sync_period', '7s'],
  ['positions.ignore-invalid-yaml', 'true', 'positions.ignore_invalid_yaml', true],
  ['target.sync-period', '20s', 'target_config.sync_period', '20s'],
  ['file-watch.min_poll_frequency', '100ms', 'global.file_watch_config.min_poll_frequency', '100ms'],
  ['file-watch.max_poll_frequency', '5s', 'global.file_watch_config.max_poll_frequency', '5s'],
  ['limit.readline-rate', '55.5', 'limits_config.readline_rate', 55.5],
  ['limit.readline-burst', '77', 'limits_config.readline_burst', 77],
  ['limit.readline-rate-enabled', 'true', 'limits_config.readline_rate_enabled', true],
  ['limit.readline-rate-drop', 'false', 'limits_config.readline_rate_drop', false],
  ['max-streams', '500', 'limits_config.max_streams', 500],
  ['max-line-size', '256kb', 'limits_config.max_line_size', 262_144], // flagext.ByteSize: kb is 1024 bytes,
  ['max-line-size-truncate', 'true', 'limits_config.max_line_size_truncate', true],
  ['server.http-listen-address', '127.0.0.2', 'server.http_listen_address', '127.0.0.2'],
  ['server.http-listen-port', '9999', 'server.http_listen_port', 9999],
  ['server.path-prefix', '/promtail', 'server.http_path_prefix', '/promtail'],
  ['server.disable', 'true', 'server.disable', true],
  ['server.enable-runtime-reload', 'true', 'server.enable_runtime_reload', true],
  ['server.register-instrumentation', 'false', 'server.register_instrumentation', false],
  ['server.graceful-shutdown-timeout', '5s', 'server.graceful_shutdown_timeout', '5s'],
  ['server.http-tls-cert-path', '/etc/tls/c.pem', 'server.http_tls_config.cert_file', '/etc/tls/c.pem'],
  ['server.http-tls-key-path', '/etc/tls/k.pem', 'server.http_tls_config.key_file', '/etc/tls/k.pem'],
  ['server.http-tls-ca-path', '/etc/tls/ca.pem', 'server.http_tls_config.client_ca_file', '/etc/tls/ca.pem'],
  [
    'server.http-tls-client-auth',
    'RequireAndVerifyClientCert',
    'server.http_tls_config.client_auth_type',
    'RequireAndVerifyClientCert',
  ],
  ['server.tls-min-version', 'VersionTLS13', 'server.tls_min_version', 'VersionTLS13'],
  ['log.level', 'warn', 'server.log_level', 'warn'],
  ['log.format', 'json', 'server.log_format', 'json'],
];

describe('Promtail flags', () => {
  let dir: string;
  let cleanup: () => void;
  let config: string;
  before(() => {
    ({ dir, cleanup } = tempDir());
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'server:',
        '  http_listen_port: 0',
        'clients:',
        '  - url: http://file-loki:3100/loki/api/v1/push',
        '    external_labels: {cluster: own}',
        'positions:',
        `  filename: ${join(dir, 'positions.yaml')}`,
        'scrape_configs:',
        '  - job_name: stdin',
        '    static_configs: [{targets: [localhost], labels: {job: stdin}}]',
        '',
      ].join('\n'),
    );
  });
  after(() => cleanup());

  it('has every flag of the table in its spec list', () => {
    for (const [name] of table)
      assert.ok(
        flagSpecs.some((s) => s.name === name),
        name,
      );
  });

  it('shows each flag in the effective config printed by -print-config-stderr', async () => {
    // One run with every flag, half as -x=v and half as --x v, then a check of each row.
    // Go reads `-bool value` as the flag and an argument, so booleans always take `=`.
    const isBool = (name: string) => flagSpecs.find((s) => s.name === name)?.kind === 'boolean';
    const args = table.flatMap(([name, value], i) =>
      i % 2 && !isBool(name) ? [`--${name}`, value] : [`-${name}=${value}`],
    );
    const { code, stderr, config: printed } = await effectiveConfig(config, args);
    assert.equal(code, 0, stderr);
    assert.ok(printed, `no config printed:\n${stderr}`);
    for (const [name, value, path, want] of table) {
      if (name === 'client.external-labels') continue;
      assert.deepEqual(at(printed, path), want, `-${name}=${value} → ${path}`);
    }
    // -client.external-labels goes to every client; a client's own label wins.
    assert.equal(at(printed, 'clients.0.external_labels.cluster'), 'own');
    assert.equal(at(printed, 'clients.0.external_labels.env'), 'prod');
    assert.equal(at(printed, 'clients.1.external_labels.cluster'), 'eu');
  });

  it('without flags prints the defaults Promtail has', async () => {
    const { code, stderr, config: printed } = await effectiveConfig(config, []);
    assert.equal(code, 0, stderr);
    assert.equal(at(printed, 'clients.0.timeout'), '10s');
    assert.equal(at(printed, 'clients.0.backoff_config.max_period'), '5m0s');
    assert.equal(at(printed, 'positions.sync_period'), '10s');
    assert.equal(at(printed, 'limits_config.readline_rate'), 10000);
    assert.equal(at(printed, 'server.health_check_target'), true);
    assert.equal(at(printed, 'server.http_tls_config'), undefined);
  });

  it('merges a -client.url that the config already has instead of refusing a twin client', async () => {
    const {
      code,
      stderr,
      config: printed,
    } = await effectiveConfig(config, [
      '-client.url',
      'http://file-loki:3100/loki/api/v1/push',
      '-client.timeout=33s',
    ]);
    assert.equal(code, 0, stderr);
    const clients = at(printed, 'clients') as unknown[];
    assert.equal(clients.length, 1);
    assert.equal(at(printed, 'clients.0.timeout'), '33s');
  });

  it('accepts every flag of the -help list with its default value (no effect flags included)', async () => {
    const args = flagSpecs
      .filter(
        (s) =>
          !['config.file', 'stdin', 'dry-run', 'version', 'check-syntax', 'print-config-stderr'].includes(
            s.name,
          ),
      )
      .map((s) => `-${s.name}=${String(s.default)}`);
    const { code, stderr, config: printed } = await effectiveConfig(config, args);
    assert.equal(code, 0, stderr);
    assert.ok(printed);
  });

  it('logs the config last line first with -log-config-reverse-order, as Promtail', async () => {
    const run = runCli([`-config.file=${config}`, '-stdin', '-dry-run', '-log-config-reverse-order'], {
      input: '',
    });
    assert.equal(await run.exited, 0, run.stderr);
    const lines = run.stderr
      .split('\n')
      .filter((l) => l.includes('type=config'))
      .map((l) => /msg=("(?:[^"\\]|\\.)*"|\S*)/.exec(l)![1]!)
      .map((m) => (m.startsWith('"') ? (JSON.parse(m) as string) : m));
    const firstKey = lines.findIndex((l) => l === 'global:');
    const lastKey = lines.findIndex((l) => l === 'limits_config:');
    assert.ok(
      lastKey !== -1 && firstKey > lastKey,
      'limits_config (last section) comes before global (first)',
    );
  });

  it('refuses a bad value with exit 2 and names the flag', async () => {
    for (const bad of [
      '-client.timeout=soon',
      '-server.http-listen-port=http',
      '-dry-run=maybe',
      '-no-such-flag',
    ]) {
      const run = runCli([`-config.file=${config}`, bad]);
      assert.equal(await run.exited, 2, bad);
      assert.match(run.stderr, /flag/, bad);
    }
  });

  it('prints -help grouped, with the flags that have no effect marked', async () => {
    const run = runCli(['-help']);
    assert.equal(await run.exited, 0);
    assert.match(run.stdout, /\ngRPC server:\n/);
    assert.match(
      run.stdout,
      /-server\.grpc-listen-port int\n\s+gRPC server listen port\. \(default 9095\) \[no effect: logferry has no gRPC server\]/,
    );
    assert.match(run.stdout, /-client\.timeout duration\n\s+.*\(default 10s\)\n/);
    for (const s of flagSpecs) assert.ok(run.stdout.includes(`  -${s.name}`), s.name);
  });
});

describe('parseFlags reads flags as Go does', () => {
  it('takes one or two dashes, -x=v and -x v, and Go booleans', () => {
    const f = parseFlags([
      '--client.url',
      'http://a/',
      '-positions.file=/p',
      '-dry-run',
      '--inspect=false',
      '-stdin=T',
    ]);
    assert.equal(f.values.get('client.url'), 'http://a/');
    assert.equal(f.values.get('positions.file'), '/p');
    assert.equal(f.values.get('dry-run'), true);
    assert.equal(f.values.get('inspect'), false);
    assert.equal(f.values.get('stdin'), true);
  });

  it('keeps a repeated flag’s last value, as Go', () => {
    const f = parseFlags(['-client.url=http://a/', '-client.url=http://b/']);
    assert.equal(f.values.get('client.url'), 'http://b/');
  });

  it('refuses an invalid duration', () => {
    assert.throws(() => parseFlags(['-positions.sync-period=often']), UsageError);
  });

  it('counts the flags of Promtail 2.9 and 3.x', () => {
    const both = flagSpecs.filter((s) => s.promtail === 'both').length;
    const v3 = flagSpecs.filter((s) => s.promtail === '3.x').length;
    assert.ok(both >= 76, `2.9 has ${both}`);
    assert.ok(both + v3 > both);
    assert.ok(usage('logferry').length > 0);
  });
});
