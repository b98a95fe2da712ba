// Hostile configs through the real CLI's -check-syntax: each is accepted or refused at once,
// never after minutes of CPU. An alias bomb (ten aliases of ten aliases ..., 10^8 stages) is
// refused naming the alias; 40,000 labels on one target are accepted (linear label handling);
// deep nesting, self-referencing aliases and duplicate keys are refused with file and line.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDir } from '../support/agent-process.js';

const { dir, cleanup } = tempDir();
after(cleanup);

const head = [
  'clients:',
  '  - url: http://127.0.0.1:3100/loki/api/v1/push',
  'scrape_configs:',
  '  - job_name: hostile',
  '    static_configs:',
  '      - targets: [localhost]',
];

async function checkSyntax(name: string, lines: string[]): Promise<{ code: number | string; out: string }> {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const p = runCli([`-config.file=${file}`, '-check-syntax']);
  const code = await p.exited;
  return { code, out: p.stdout + p.stderr };
}

describe('hostile configs (-check-syntax)', () => {
  it('refuses an alias bomb, naming the line of the largest alias', async () => {
    const stages = ['      - &s0 {labels: {a: ""}}'];
    for (let i = 1; i <= 8; i++) {
      const refs = Array.from({ length: 10 }, () => `*s${i - 1}`).join(',');
      stages.push(`      - &s${i} {match: {selector: '{a="b"}', stages: [${refs}]}}`);
    }
    const lines = [...head, '        labels: {__path__: /tmp/x.log}', '    pipeline_stages:', ...stages];
    const { code, out } = await checkSyntax('bomb.yaml', lines);
    assert.equal(code, 1, out);
    assert.match(out, /bomb\.yaml:17: aliases expand to \d+ more nodes, over the limit of 100000 .*\*s7/);
  });

  it('accepts 40,000 labels on one target', async () => {
    const labels = Array.from({ length: 40_000 }, (_, i) => `          l${i}: v${i}`);
    const lines = [...head, '        labels:', '          __path__: /tmp/x.log', ...labels];
    const { code, out } = await checkSyntax('labels.yaml', lines);
    assert.equal(code, 0, out);
    assert.match(out, /Valid config file/);
  });

  it('refuses a duplicate among 40,000 labels on the duplicate line', async () => {
    const labels = Array.from({ length: 40_000 }, (_, i) => `          l${i}: v${i}`);
    labels.push('          l17: again');
    const lines = [...head, '        labels:', ...labels];
    const { code, out } = await checkSyntax('duplicate.yaml', lines);
    assert.equal(code, 1, out);
    assert.match(out, /duplicate\.yaml:40008: Map keys must be unique/);
  });

  it('refuses nesting 10,000 levels deep and an alias inside its own anchor', async () => {
    const deep = await checkSyntax('deep.yaml', [
      ...head,
      `        labels: {__path__: /tmp/x.log, a: ${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ]);
    assert.equal(deep.code, 1, deep.out);
    assert.match(
      deep.out,
      /deep\.yaml:7: (nested more than 500 levels deep|Maximum call stack size exceeded)/,
    );
    const loop = await checkSyntax('loop.yaml', [
      ...head,
      '        labels: &l {__path__: /tmp/x.log, a: *l}',
    ]);
    assert.equal(loop.code, 1, loop.out);
    assert.match(loop.out, /loop\.yaml:7: alias \*l refers to the node it is in/);
  });
});
