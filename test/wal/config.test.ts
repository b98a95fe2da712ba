// The `wal:` block: Promtail's keys accepted, logferry's max_size and full_policy with their
// defaults, and errors that name the file, line and key.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { configToYaml } from '../../src/config/redact.js';
import { defaultWalConfig, parseWalConfig, type WalConfig } from '../../src/wal/index.js';

function parse(yaml: string): WalConfig {
  return parseWalConfig(ConfigNode.parse(yaml, 'promtail.yaml').get('wal'));
}

const accepted: { name: string; yaml: string; want: WalConfig }[] = [
  { name: 'no block', yaml: 'server: {}\n', want: defaultWalConfig },
  { name: 'disabled, no dir', yaml: 'wal:\n  enabled: false\n', want: defaultWalConfig },
  {
    name: "Promtail's two keys",
    yaml: 'wal:\n  enabled: true\n  dir: /var/lib/logferry/wal\n',
    want: { enabled: true, dir: '/var/lib/logferry/wal', maxSize: 1024 ** 3, fullPolicy: 'block' },
  },
  {
    name: 'every Promtail 2.9/3.x key (accepted, without effect)',
    yaml: [
      'wal:',
      '  enabled: true',
      '  dir: /wal',
      '  cleanSegmentsOlderThan: 30m',
      '  watchConfig:',
      '    minReadFrequency: 250ms',
      '    maxReadFrequency: 1s',
      '    drainTimeout: 15s',
      '',
    ].join('\n'),
    want: { enabled: true, dir: '/wal', maxSize: 1024 ** 3, fullPolicy: 'block' },
  },
  {
    name: 'max_size in Promtail byte syntax, drop_oldest',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  max_size: 512MiB\n  full_policy: drop_oldest\n',
    want: { enabled: true, dir: '/wal', maxSize: 512 * 1024 ** 2, fullPolicy: 'drop_oldest' },
  },
  {
    name: 'max_size with a unit, binary as every logferry size (flagext.ByteSize: 2GB = 2 GiB)',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  max_size: 2GB\n',
    want: { enabled: true, dir: '/wal', maxSize: 2 * 1024 ** 3, fullPolicy: 'block' },
  },
];

for (const c of accepted) {
  test(`wal config: ${c.name}`, () => {
    assert.deepEqual(parse(c.yaml), c.want);
  });
}

const refused: { name: string; yaml: string; line: number; key: string; reason: RegExp }[] = [
  {
    name: 'enabled without dir',
    yaml: 'wal:\n  enabled: true\n',
    line: 2,
    key: 'wal.enabled',
    reason: /needs `dir`/,
  },
  {
    name: 'an unknown key',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  max_bytes: 1GiB\n',
    line: 4,
    key: 'wal.max_bytes',
    reason: /unknown key/,
  },
  {
    name: 'an unknown policy',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  full_policy: drop_newest\n',
    line: 4,
    key: 'wal.full_policy',
    reason: /one of block, drop_oldest/,
  },
  {
    name: 'a size that is not one',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  max_size: lots\n',
    line: 4,
    key: 'wal.max_size',
    reason: /invalid size "lots"/,
  },
  {
    name: 'a size below 4MiB',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  max_size: 1MiB\n',
    line: 4,
    key: 'wal.max_size',
    reason: /at least 4MiB/,
  },
  {
    name: 'a bad duration in watchConfig',
    yaml: 'wal:\n  enabled: true\n  dir: /wal\n  watchConfig:\n    minReadFrequency: soon\n',
    line: 5,
    key: 'wal.watchConfig.minReadFrequency',
    reason: /invalid duration/,
  },
];

for (const c of refused) {
  test(`wal config refused: ${c.name}`, () => {
    assert.throws(
      () => parse(c.yaml),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.file, 'promtail.yaml');
        assert.equal(err.line, c.line);
        assert.equal(err.key, c.key);
        assert.match(err.reason, c.reason);
        return true;
      },
    );
  });
}

test('wal config: /config and -print-config-stderr show the block when enabled', () => {
  const text =
    'wal:\n  enabled: true\n  dir: /wal\n  max_size: 8MiB\nclients:\n  - url: http://127.0.0.1:3100/loki/api/v1/push\n';
  const yaml = configToYaml(parseConfig(text, 'promtail.yaml', { expandEnv: false }));
  assert.match(
    yaml,
    /\nwal:\n {2}enabled: true\n {2}dir: \/wal\n {2}max_size: 8388608\n {2}full_policy: block\n/,
  );
  const off = configToYaml(
    parseConfig('clients:\n  - url: http://127.0.0.1:3100/x\n', 'p.yaml', { expandEnv: false }),
  );
  assert.doesNotMatch(off, /wal:/);
});
