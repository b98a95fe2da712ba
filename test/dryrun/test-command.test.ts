// `logferry test` as a process: the shipped examples in config/tests/ pass; failing cases are
// reported with a diff and a non-zero exit; broken test files name their line; the last line is
// always `N passed, M failed`.

import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';
import { cli, dryrunFixtures, repoRoot } from './helpers.js';

const examples = join(repoRoot, 'config/tests');

describe('logferry test', () => {
  it('passes every example in config/tests/', async () => {
    const files = readdirSync(examples)
      .filter((f) => f.endsWith('.test.yaml'))
      .map((f) => join(examples, f));
    assert.ok(files.length > 0);
    const r = await cli(['test', ...files]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const last = r.stdout.trimEnd().split('\n').pop();
    assert.match(last!, /^(\d+) passed, 0 failed$/);
    assert.ok(Number(/^(\d+)/.exec(last!)![1]) >= 6);
    assert.doesNotMatch(r.stdout, /FAIL/);
  });

  it('reports failing cases with a diff, counts them, and exits 1', async () => {
    const r = await cli(['test', join(dryrunFixtures, 'failing.test.yaml')]);
    assert.equal(r.code, 1);
    const out = r.stdout;
    assert.match(out, / {2}ok {4}the web pod is kept\n/);
    assert.match(
      out,
      / {2}FAIL {2}a wrong label value \(.*failing\.test\.yaml:\d+\)\n {8}target shop\/web-7d9f8c6b5d-x2x9k\/web: labels differ \(- expected, \+ actual\)\n {8}- app="webapp"\n {8}\+ app="web"\n/,
    );
    assert.match(
      out,
      / {2}FAIL {2}the wrong rule drops kube-proxy .*\n {8}kube-system\/kube-proxy-8h7g6\/kube-proxy: expected to be dropped by rule #0, but it was dropped by relabel rule #1 \(drop, line \d+\)\n/,
    );
    assert.match(
      out,
      / {2}FAIL {2}a kept pod expected dropped .*\n {8}shop\/web-7d9f8c6b5d-x2x9k\/web was expected to be dropped, but it is kept with \{/,
    );
    assert.match(out, /unexpected drop of shop\/batch-28519200-zx9cv\/batch: relabel rule #0/);
    assert.match(
      out,
      / {2}FAIL {2}a wrong line and a missing label .*\n {8}entry #1: labels differ \(- expected, \+ actual\)\n {8}\+ stream="stdout"\n {8}entry #1: line\n {8}- "wrong"\n {8}\+ "GET \/cart 200"\n/,
    );
    assert.match(
      out,
      / {2}FAIL {2}too few entries .*\n {8}missing entry #2: "never"\n {8}expected 0 dropped line\(s\), got 1: line 2 by drop \(debug_line\)\n/,
    );
    assert.match(out, /\n1 passed, 5 failed\n$/);
  });

  it('names the file and line of a broken test file, and goes on with the others', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const broken = join(dir, 'broken.test.yaml');
      writeFileSync(
        broken,
        `config: ${join(examples, 'kubernetes-pods.yaml')}\ncases:\n  - name: x\n    targets: {}\n    expect:\n      targetz: []\n`,
      );
      const badConfig = join(dir, 'bad-config.test.yaml');
      writeFileSync(
        badConfig,
        `config: ${join(repoRoot, 'fixtures/config/bad/invalid-yaml.yaml')}\ncases: []\n`,
      );
      const r = await cli(['test', broken, badConfig, join(examples, 'kubernetes-pods.test.yaml')]);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        new RegExp(`FAIL  invalid test file: ${broken}:6: cases\\[0\\]\\.expect\\.targetz: unknown key`),
      );
      assert.match(r.stdout, /FAIL {2}invalid config: .*invalid-yaml\.yaml:\d+: /);
      assert.match(r.stdout, /\n6 passed, 2 failed\n$/);
    } finally {
      cleanup();
    }
  });

  it('runs only the cases named by -run, and exits 2 without files', async () => {
    const r = await cli(['test', '-run', 'syslog', join(examples, 'kubernetes-pods.test.yaml')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\n1 passed, 0 failed\n$/);
    const none = await cli(['test']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name at least one test file/);
  });
});
