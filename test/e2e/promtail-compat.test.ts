// Configs Promtail accepts, through the built CLI: what Promtail ignores silently loads with a
// warning (an error under -config.strict), and `encoding:` decodes files to UTF-8.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { runCli, staticJob, tempDir, writeConfig } from '../support/agent-process.js';

describe('configs Promtail accepts', () => {
  it('-check-syntax prints a warning per ignored stage key with file and line, exits 0; -config.strict exits 1', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const config = writeConfig({
        dir,
        lokiUrl: 'http://127.0.0.1:1/loki/api/v1/push',
        scrapeConfigs: staticJob('a', `${dir}/logs/a.log`, [
          '    pipeline_stages:',
          '      - json:',
          '          expressions: {level: level}',
          '          drop_malformd: true',
          '      - match:',
          '          selector: \'{job="a"}\'',
          '          stages:',
          '            - regex: {expression: "(?P<x>.)", sorce: x}',
        ]),
      });
      const ok = runCli(['-check-syntax', `-config.file=${config}`]);
      assert.equal(await ok.exited, 0);
      assert.match(ok.stdout, /Valid config file/);
      const warnings = ok.stderr.trim().split('\n');
      assert.equal(warnings.length, 2, ok.stderr);
      assert.match(
        warnings[0]!,
        new RegExp(
          `^warning: ${config}:16: scrape_configs\\[0\\]\\.pipeline_stages\\[0\\]\\.json\\.drop_malformd: unknown key, ignored as Promtail ignores it`,
        ),
      );
      assert.match(warnings[1]!, /:20: .*\.match\.stages\[0\]\.regex\.sorce: unknown key/);

      const strict = runCli(['-check-syntax', '-config.strict', `-config.file=${config}`]);
      assert.equal(await strict.exited, 1);
      assert.match(strict.stderr, /:16: .*json\.drop_malformd: unknown key/);
    } finally {
      cleanup();
    }
  });

  it('logferry pipeline and logferry test warn too; --strict refuses', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const config = writeConfig({
        dir,
        scrapeConfigs: staticJob('a', `${dir}/logs/a.log`, [
          '    pipeline_stages:',
          '      - output: {source: msg, sorce: x}',
        ]),
      });
      const run = runCli(['pipeline', `-config.file=${config}`, '-job=a'], { input: 'hello\n' });
      assert.equal(await run.exited, 0, run.stderr);
      assert.match(run.stderr, /warning: .*:11: .*output\.sorce: unknown key/);
      assert.match(run.stdout, /hello/);
      const strict = runCli(['pipeline', `-config.file=${config}`, '-job=a', '--strict'], {
        input: 'hello\n',
      });
      assert.equal(await strict.exited, 1);
      assert.match(strict.stderr, /output\.sorce: unknown key/);

      const tests = join(dir, 'cases.yaml');
      writeFileSync(
        tests,
        `config: ${config}\ncases:\n  - name: passes\n    job: a\n    pipeline:\n      lines: [hello]\n    expect:\n      entries:\n        - line: hello\n`,
      );
      const t = runCli(['test', tests]);
      assert.equal(await t.exited, 0, t.stderr + t.stdout);
      assert.match(t.stderr, /output\.sorce: unknown key/);
      const ts = runCli(['test', '--strict', tests]);
      assert.equal(await ts.exited, 1);
    } finally {
      cleanup();
    }
  });

  it('geoip, luhn and eventlogmessage are "not supported by logferry", not unknown', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // One through the CLI (each start costs seconds on a loaded machine), all three in-process.
      for (const stage of ['geoip', 'luhn', 'eventlogmessage']) {
        const config = writeConfig({
          dir,
          lokiUrl: 'http://127.0.0.1:1/loki/api/v1/push',
          scrapeConfigs: staticJob('a', `${dir}/logs/a.log`, [
            '    pipeline_stages:',
            `      - ${stage}: {}`,
          ]),
        });
        assert.throws(
          () => loadConfig(config, { expandEnv: false }),
          new RegExp(`${stage}: is not supported by logferry`),
        );
      }
      for (const stage of ['geoip']) {
        const config = writeConfig({
          dir,
          lokiUrl: 'http://127.0.0.1:1/loki/api/v1/push',
          scrapeConfigs: staticJob('a', `${dir}/logs/a.log`, [
            '    pipeline_stages:',
            `      - ${stage}: {}`,
          ]),
        });
        const run = runCli(['-check-syntax', `-config.file=${config}`]);
        assert.equal(await run.exited, 1);
        assert.match(run.stderr, new RegExp(`${stage}: is not supported by logferry`));
        assert.doesNotMatch(run.stderr, /unknown stage type/);
      }
    } finally {
      cleanup();
    }
  });
});
