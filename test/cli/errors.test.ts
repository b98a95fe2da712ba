// What a user sees through the built CLI: one line for a config file that cannot be used (no
// stack trace), every error of a file (up to 20), the ${VAR} hint, the subcommands' own usage,
// and -dry-run's entry lines, byte for byte as Promtail 3.6 prints them.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from '../support/agent-process.js';

async function run(args: string[], input?: string, env?: NodeJS.ProcessEnv) {
  const p = runCli(args, { ...(input === undefined ? {} : { input }), ...(env ? { env } : {}) });
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

describe('config file problems', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir());
  });
  after(() => cleanup());

  const cases: [string, () => string, RegExp][] = [
    [
      'missing',
      () => join(dir, 'nope.yaml'),
      /does not exist: pass the path of your Promtail config with -config.file/,
    ],
    [
      'a directory',
      () => {
        mkdirSync(join(dir, 'conf.d'), { recursive: true });
        return join(dir, 'conf.d');
      },
      /is a directory: pass the YAML file inside it/,
    ],
    [
      'not YAML',
      () => {
        writeFileSync(join(dir, 'bad.yaml'), 'server:\n  http_listen_port: [9080\n');
        return join(dir, 'bad.yaml');
      },
      /bad\.yaml:\d+: /,
    ],
    [
      'not UTF-8',
      () => {
        writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x73, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
        return join(dir, 'bin.yaml');
      },
      /bin\.yaml:1: the file is not valid UTF-8/,
    ],
  ];
  if (process.getuid?.() !== 0) {
    // root reads any file: the permission case only means something for other users.
    cases.push([
      'unreadable',
      () => {
        const f = join(dir, 'secret.yaml');
        writeFileSync(f, 'clients: []\n');
        chmodSync(f, 0);
        return f;
      },
      /cannot be read \(permission denied\)/,
    ]);
  }
  for (const [name, make, want] of cases) {
    it(`${name}: one line naming the file, exit 1, no stack trace`, async () => {
      const file = make();
      for (const args of [[`-config.file=${file}`], [`-config.file=${file}`, '-check-syntax']]) {
        const r = await run(args);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, want);
        assert.ok(r.stderr.includes(file.split('/').pop()!), r.stderr);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    });
  }

  it('lists every error of the file (up to 20), in line order', async () => {
    const jobs = Array.from({ length: 25 }, (_, i) => `  - job_name: j${i}\n    bogus_${i}: 1`).join('\n');
    const file = join(dir, 'many.yaml');
    writeFileSync(
      file,
      `server:\n  nope: 1\nclients:\n  - url: http://loki/push\nscrape_configs:\n${jobs}\n`,
    );
    const r = await run([`-config.file=${file}`, '-check-syntax']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /26 errors:\n/);
    assert.match(r.stderr, /many\.yaml:2: server\.nope: unknown key/);
    assert.match(r.stderr, /many\.yaml:7: scrape_configs\[0\]\.bogus_0: unknown key/);
    assert.match(r.stderr, /\.\.\. and 6 more/);
    assert.equal((r.stderr.match(/many\.yaml:\d+:/g) ?? []).length, 20);
  });

  it('hints at -config.expand-env when the file uses $-brace references without it', async () => {
    const file = join(dir, 'env.yaml');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config text a user writes
    writeFileSync(file, 'clients:\n  - url: ${LOKI_URL}\nscrape_configs: []\n');
    const r = await run([`-config.file=${file}`, '-check-syntax']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hint: .*env\.yaml:2 uses \$\{LOKI_URL\}, .*-config\.expand-env=true/);
    const ok = await run([`-config.file=${file}`, '-check-syntax', '-config.expand-env'], undefined);
    assert.doesNotMatch(ok.stderr, /hint:/);
  });
});

describe('subcommand usage', () => {
  for (const sub of ['targets', 'pipeline', 'test']) {
    it(`logferry ${sub} -h prints its own flags`, async () => {
      for (const h of ['-h', '--help']) {
        const r = await run([sub, h]);
        assert.equal(r.code, 0);
        assert.match(r.stdout, new RegExp(`^logferry ${sub} `));
        assert.match(r.stdout, new RegExp(`Usage of logferry ${sub}:`));
        assert.doesNotMatch(r.stdout, /gRPC/);
      }
    });
  }
});

describe('-dry-run', () => {
  // Promtail 3.6 (clients/pkg/promtail/client/logger.go) writes <time>\t<labels>\t<line> through
  // Go's tabwriter: no tab after a cell whose width is a multiple of 8 (here the whole-second
  // time, 24 characters, and `2024-05-01T10:00:00.5Z a`), and no structured metadata.
  it('prints each entry byte for byte as Promtail 3.6, structured metadata left out', async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, 'sm.yaml');
    writeFileSync(
      file,
      [
        'scrape_configs:',
        '  - job_name: stdin',
        '    static_configs: [{targets: [localhost], labels: {job: stdin}}]',
        '    pipeline_stages:',
        "      - regex: {expression: '^(?P<ts>\\S+) .*?(trace=(?P<trace_id>\\w+))?$'}",
        '      - timestamp: {source: ts, format: RFC3339Nano}',
        '      - structured_metadata: {trace_id: ""}',
        '',
      ].join('\n'),
    );
    try {
      const input = [
        '2024-05-01T10:00:00Z GET / trace=abc123',
        '2024-05-01T10:00:00.5Z no trace',
        '2024-05-01T10:00:00.5Z a\tb',
        '',
      ].join('\n');
      const r = await run([`-config.file=${file}`, '-stdin', '-dry-run'], input, { TZ: 'UTC', NO_COLOR: '' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        [
          '2024-05-01T10:00:00+0000{job="stdin"}\t2024-05-01T10:00:00Z GET / trace=abc123',
          '2024-05-01T10:00:00.5+0000\t{job="stdin"}\t2024-05-01T10:00:00.5Z no trace',
          '2024-05-01T10:00:00.5+0000\t{job="stdin"}\t2024-05-01T10:00:00.5Z ab',
          '',
        ].join('\n'),
      );
    } finally {
      cleanup();
    }
  });
});
