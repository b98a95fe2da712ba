// The cardinality guard on sampled values, as a process: `logferry pipeline`, `logferry test` and
// the agent's -stdin -dry-run run real lines through fixtures/dryrun/cardinality.yaml and warn on
// stderr about a label whose values look unbounded (more than 100 distinct, or most of one
// unbounded shape), naming file:line and key of the label in its labels stage; never failing.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startLokiReceiver } from '../support/loki-receiver.js';
import { cli, dryrunFixtures } from './helpers.js';

const config = join(dryrunFixtures, 'cardinality.yaml');
const dir = mkdtempSync(join(tmpdir(), 'logferry-cardinality-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const levels = ['info', 'warn', 'error'];
/** A log file of `n` logfmt lines, the i-th made by `line(i)`. */
function logFile(name: string, n: number, line: (i: number) => string): string {
  const file = join(dir, name);
  writeFileSync(file, Array.from({ length: n }, (_, i) => `${line(i)}\n`).join(''));
  return file;
}

/** The value-sampling warnings on stderr (the name-based ones do not name the job). */
function valueWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes(' of job "app" '));
}

/** Where the warning about `label` of the top labels stage points: file, line and key. */
function at(label: string, stage = 'pipeline_stages[1].labels'): string {
  const line =
    readFileSync(config, 'utf8')
      .split('\n')
      .findIndex((l) => l.trim() === `${label}:`) + 1;
  assert.ok(line > 0, `no key ${label} in ${config}`);
  return `warning: ${config}:${line}: scrape_configs[0].${stage}.${label}: `;
}

describe('cardinality guard: sampled label values', () => {
  it('warns about a label with more than 100 distinct values (150 request ids), not about 3 levels', async () => {
    const log = logFile('requests.log', 150, (i) => `level=${levels[i % 3]} request=req-${i}`);
    const r = await cli(['pipeline', '-config.file', config, log]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valueWarnings(r.stderr), [
      `${at('request')}label "request" of job "app" takes more than 100 distinct values in 150 lines (e.g. "req-0", "req-1", "req-2"): each value is a new Loki stream. Use structured_metadata for it instead`,
    ]);
    assert.match(r.stdout, /150 line\(s\) in, 150 entries out/);
  });

  it('says nothing about 150 lines of 3 levels', async () => {
    const log = logFile('levels.log', 150, (i) => `level=${levels[i % 3]} msg=done`);
    const r = await cli(['pipeline', '-config.file', config, log]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valueWarnings(r.stderr), []);
  });

  it('warns about 20 lines of UUIDs by their shape, and is advice even under -config.strict', async () => {
    const log = logFile('uuids.log', 20, () => `level=info ref=${randomUUID()}`);
    const r = await cli(['pipeline', '-config.file', config, '-config.strict', log]);
    assert.equal(r.code, 0, r.stderr);
    const [w, ...rest] = valueWarnings(r.stderr);
    assert.deepEqual(rest, []);
    assert.ok(
      w?.startsWith(
        `${at('ref')}label "ref" of job "app" takes UUIDs (20 of 20 distinct values in 20 lines, e.g. "`,
      ),
      w,
    );
    assert.ok(
      w.endsWith(
        '), which are unbounded: each value is a new Loki stream. Use structured_metadata for it instead',
      ),
      w,
    );
  });

  it('warns about a harmlessly named label that holds IP addresses', async () => {
    const log = logFile('peers.log', 20, (i) => `level=info peer=10.1.${i % 4}.${i * 7}`);
    const r = await cli(['pipeline', '-config.file', config, log]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valueWarnings(r.stderr), [
      `${at('peer')}label "peer" of job "app" takes IP addresses (20 of 20 distinct values in 20 lines, e.g. "10.1.0.0", "10.1.1.7", "10.1.2.14"), which are unbounded: each value is a new Loki stream. Use structured_metadata for it instead`,
    ]);
  });

  it('samples a labels stage nested in a match (ULIDs), and 12 distinct levels are no shape', async () => {
    const ulids = Array.from(
      { length: 12 },
      (_, i) => `01HGW${String(i).padStart(2, '0')}Z3NDEKTSV4RRFFQ69G5`,
    );
    const log = logFile('items.log', 12, (i) => `level=l${i} item=${ulids[i]}`);
    const r = await cli(['pipeline', '-config.file', config, log]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valueWarnings(r.stderr), [
      `${at('item', 'pipeline_stages[2].match.stages[0].labels')}label "item" of job "app" takes ULIDs (12 of 12 distinct values in 12 lines, e.g. "${ulids[0]}", "${ulids[1]}", "${ulids[2]}"), which are unbounded: each value is a new Loki stream. Use structured_metadata for it instead`,
    ]);
  });

  it('leaves a label already warned about by its name (trace_id) to that one warning', async () => {
    const log = logFile('traces.log', 150, () => `level=info trace_id=${randomUUID()}`);
    const r = await cli(['pipeline', '-config.file', config, log]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(valueWarnings(r.stderr), []);
    const named = r.stderr.split('\n').filter((l) => l.includes('.labels.trace_id: '));
    assert.equal(named.length, 1, r.stderr);
    assert.match(named[0]!, /label "trace_id" takes an id/);
  });

  it('logferry test: warns over the lines of all pipeline cases of a file, cases still pass', async () => {
    const lines = (n: number) =>
      Array.from({ length: n }, () => `'level=info ref=${randomUUID()}'`).join(', ');
    const suite = join(dir, 'uuids.test.yaml');
    writeFileSync(
      suite,
      `config: ${config}\ncases:\n` +
        `  - name: first half\n    pipeline:\n      labels: {job: app}\n      lines: [${lines(6)}]\n    expect: {dropped: 0}\n` +
        `  - name: second half\n    pipeline:\n      labels: {job: app}\n      lines: [${lines(6)}]\n    expect: {dropped: 0}\n`,
    );
    const r = await cli(['test', suite]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 passed, 0 failed/);
    const [w, ...rest] = valueWarnings(r.stderr);
    assert.deepEqual(rest, []);
    assert.ok(
      w?.startsWith(`${at('ref')}label "ref" of job "app" takes UUIDs (12 of 12 distinct values in 12 lines`),
      r.stderr,
    );
  });

  it('the agent with -stdin -dry-run logs the warning once the values look unbounded', async () => {
    const input = Array.from({ length: 20 }, () => `level=info ref=${randomUUID()}\n`).join('');
    const r = await cli(['-config.file', config, '-stdin', '-dry-run'], { input });
    assert.equal(r.code, 0, r.stderr);
    const logged = r.stderr.split('\n').filter((l) => l.includes('cardinality guard'));
    assert.equal(logged.length, 1, r.stderr);
    assert.match(
      logged[0]!,
      /level=warn msg="cardinality guard: a label takes unbounded values" file=\S+cardinality.yaml line=\d+ key=scrape_configs\[0\]\.pipeline_stages\[1\]\.labels\.ref reason="label \\"ref\\" of job \\"app\\" takes UUIDs \(10 of 10 distinct values in 10 lines/,
    );
    assert.equal(r.stdout.trim().split('\n').length, 20, 'every line is still printed');
  });

  it('the agent shipping for real (no -dry-run, no -inspect) does not sample: no warning', async () => {
    const loki = await startLokiReceiver();
    try {
      const input = Array.from({ length: 20 }, () => `level=info ref=${randomUUID()}\n`).join('');
      const r = await cli(['-config.file', config, '-stdin', `-client.url=${loki.url}`], { input });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(loki.entries().length, 20, r.stderr);
      assert.ok(!r.stderr.includes('cardinality guard'), r.stderr);
      // The name-based warning is logged at start as logferry's advice, not as a key Promtail ignores.
      const named = r.stderr.split('\n').filter((l) => l.includes('.labels.trace_id '));
      assert.equal(named.length, 1, r.stderr);
      assert.match(named[0]!, /level=warn msg="config: advice" /);
    } finally {
      await loki.close();
    }
  });
});
