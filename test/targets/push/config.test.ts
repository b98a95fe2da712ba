// The `loki_push_api:` block: Promtail's keys and defaults, dskit server keys accepted and
// ignored, and errors that name the file, line and key.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, ConfigNode } from '../../../src/config/reader.js';
import { parsePushConfig } from '../../../src/targets/push/config.js';
import { parseLabels } from '../../../src/targets/push/labels.js';

const parse = (yaml: string) => parsePushConfig(ConfigNode.parse(yaml, 'push.yaml'));

describe('parsePushConfig', () => {
  test('defaults as Promtail merges them: port 80, every interface, 30s/120s/30s timeouts', () => {
    assert.deepEqual(parse('labels:\n  job: docker\n'), {
      httpListenAddress: '',
      httpListenPort: 80,
      httpPathPrefix: '',
      readTimeoutMs: 30_000,
      idleTimeoutMs: 120_000,
      gracefulShutdownTimeoutMs: 30_000,
      ignoredServerKeys: [],
      labels: { job: 'docker' },
      useIncomingTimestamp: false,
      maxSendMsgSize: 100 * 1024 * 1024,
    });
  });

  test('every key set; gRPC and other dskit keys accepted and listed as ignored', () => {
    const c = parse(
      [
        'server:',
        '  http_listen_address: 0.0.0.0',
        '  http_listen_port: 3500',
        '  grpc_listen_port: 3600',
        '  http_path_prefix: /push/',
        '  http_server_read_timeout: 5s',
        '  http_server_idle_timeout: 1m',
        '  graceful_shutdown_timeout: 2s',
        '  register_instrumentation: false',
        '  log_level: debug',
        'labels:',
        '  pushserver: push1',
        'use_incoming_timestamp: true',
        'max_send_msg_size: 8MiB',
      ].join('\n'),
    );
    assert.equal(c.httpListenAddress, '0.0.0.0');
    assert.equal(c.httpListenPort, 3500);
    assert.equal(c.httpPathPrefix, '/push');
    assert.equal(c.readTimeoutMs, 5000);
    assert.equal(c.idleTimeoutMs, 60_000);
    assert.equal(c.gracefulShutdownTimeoutMs, 2000);
    assert.deepEqual(c.ignoredServerKeys, ['grpc_listen_port', 'register_instrumentation', 'log_level']);
    assert.deepEqual(c.labels, { pushserver: 'push1' });
    assert.equal(c.useIncomingTimestamp, true);
    assert.equal(c.maxSendMsgSize, 8 * 1024 * 1024);
    assert.equal(parse('max_send_msg_size: 1048576').maxSendMsgSize, 1048576);
  });

  const errors: [string, string, number, RegExp][] = [
    ['unknown key', 'labels: {}\nuse_incoming_timestamps: true\n', 2, /use_incoming_timestamps: unknown key/],
    ['unknown server key', 'server:\n  http_port: 80\n', 2, /server\.http_port: unknown key/],
    ['bad label name', 'labels:\n  bad-name: x\n', 2, /labels\.bad-name: invalid label name/],
    ['port out of range', 'server:\n  http_listen_port: 70000\n', 2, /out of range/],
    ['bad size', 'max_send_msg_size: lots\n', 1, /invalid size/],
    ['zero size', 'max_send_msg_size: 0\n', 1, /must be positive/],
    ['bad timeout', 'server:\n  http_server_read_timeout: soon\n', 2, /invalid duration/],
    [
      'TLS',
      'server:\n  http_tls_config:\n    cert_file: /c.pem\n',
      2,
      /TLS on the push listener is not supported/,
    ],
    ['not a mapping', '- a\n', 1, /expected a mapping/],
  ];
  for (const [name, yaml, line, message] of errors) {
    test(`error: ${name}`, () => {
      assert.throws(
        () => parse(yaml),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.file, 'push.yaml');
          assert.equal(err.line, line, err.message);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('parseLabels (Prometheus ParseMetric, as Promtail reads pushed streams)', () => {
  const ok: [string, Record<string, string>][] = [
    ['{}', {}],
    ['{a="b", c="d"}', { a: 'b', c: 'd' }],
    ['  { a = "b" , }  ', { a: 'b' }],
    ["{a='single \\' quote'}", { a: "single ' quote" }],
    ['{a=`raw \\n`}', { a: 'raw \\n' }],
    ['{a="\\x41\\101\\u00e9\\U0001F600\\t\\""}', { a: 'AAé😀\t"' }],
    ['up{job="x"}', { __name__: 'up', job: 'x' }],
    ['name:with:colons', { __name__: 'name:with:colons' }],
    ['{a="ünïcødé ✓"}', { a: 'ünïcødé ✓' }],
  ];
  for (const [text, labels] of ok) {
    test(`parses ${text}`, () => assert.deepEqual(parseLabels(text), labels));
  }
  const bad = [
    '',
    '{',
    '{a}',
    '{a=b}',
    '{a="1", a="2"}',
    '{a=~"x"}',
    '{1a="x"}',
    '{a="x"} junk',
    '{a="\\q"}',
    '{a="\\\'"}',
  ];
  for (const text of bad) {
    test(`refuses ${JSON.stringify(text)}`, () =>
      assert.throws(() => parseLabels(text), /^Error: error parsing labels/));
  }
});
