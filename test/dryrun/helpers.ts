// Shared by the dry-run tool tests: run the built CLI to its end, find lines in fixtures, and
// check the documented JSON shape of `logferry targets --output json`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../support/agent-process.js';

export const dryrunFixtures = resolve(import.meta.dirname, '../../fixtures/dryrun');
export const repoRoot = resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * How many CLI processes of one test file run at once. Each run is mostly Node's start-up and
 * module loading (a few hundred ms of CPU), so tests start their independent runs together and
 * this bounds them: the file takes a fraction of the time on 2 cores, and on a loaded machine it
 * no longer waits for one slow start-up after another.
 */
const cliSlots = 4;
let cliRunning = 0;
const cliWaiting: (() => void)[] = [];

/** Runs `logferry <args>` to its end. */
export async function cli(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  // A slot is handed straight from a run that ends to the next waiting one.
  if (cliRunning < cliSlots) cliRunning++;
  else await new Promise<void>((resolve) => cliWaiting.push(resolve));
  try {
    const p = runCli(args, options);
    const code = await p.exited;
    return { code, stdout: p.stdout, stderr: p.stderr };
  } finally {
    const next = cliWaiting.shift();
    if (next) next();
    else cliRunning--;
  }
}

/** The 1-based line of the first line of `file` that contains `needle` (after line `after`). */
export function lineOf(file: string, needle: string, after = 0): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l, n) => n >= after && l.includes(needle));
  if (i === -1) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}

const isLabelSet = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');
const stringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/**
 * Asserts the documented shape exactly: {"targets":[{job,namespace,pod,container,labels,path,files}],
 * "dropped":[{job,namespace,pod,container,rule:{index,action,line,text}|null,reason,labels}]}.
 */
export function assertTargetsShape(doc: unknown): asserts doc is TargetsDoc {
  assert.ok(typeof doc === 'object' && doc !== null);
  const d = doc as Record<string, unknown>;
  assert.deepEqual(Object.keys(d).sort(), ['dropped', 'targets']);
  assert.ok(Array.isArray(d.targets) && Array.isArray(d.dropped));
  for (const t of d.targets as Record<string, unknown>[]) {
    assert.deepEqual(Object.keys(t), ['job', 'namespace', 'pod', 'container', 'labels', 'path', 'files']);
    assert.equal(typeof t.job, 'string');
    assert.ok(stringOrNull(t.namespace) && stringOrNull(t.pod) && stringOrNull(t.container));
    assert.ok(isLabelSet(t.labels), 'labels are a label set');
    assert.equal(typeof t.path, 'string');
    assert.ok(Array.isArray(t.files) && t.files.every((f) => typeof f === 'string'));
  }
  for (const x of d.dropped as Record<string, unknown>[]) {
    assert.deepEqual(Object.keys(x), ['job', 'namespace', 'pod', 'container', 'rule', 'reason', 'labels']);
    assert.equal(typeof x.job, 'string');
    assert.ok(stringOrNull(x.namespace) && stringOrNull(x.pod) && stringOrNull(x.container));
    assert.ok(['relabeling', 'wrong_host', 'no_path'].includes(x.reason as string));
    if (x.reason === 'relabeling') {
      const r = x.rule as Record<string, unknown>;
      assert.deepEqual(Object.keys(r), ['index', 'action', 'line', 'text']);
      assert.ok(Number.isInteger(r.index) && Number.isInteger(r.line) && (r.line as number) > 0);
      assert.equal(typeof r.action, 'string');
      assert.equal(typeof r.text, 'string');
    } else assert.equal(x.rule, null);
    assert.ok(isLabelSet(x.labels));
  }
}

export interface TargetsDoc {
  targets: {
    job: string;
    namespace: string | null;
    pod: string | null;
    container: string | null;
    labels: Record<string, string>;
    path: string;
    files: string[];
  }[];
  dropped: {
    job: string;
    namespace: string | null;
    pod: string | null;
    container: string | null;
    rule: { index: number; action: string; line: number; text: string } | null;
    reason: 'relabeling' | 'wrong_host' | 'no_path';
    labels: Record<string, string>;
  }[];
}

/** `ns/pod/container` of a JSON target (or its job for a static one). */
export function nameOf(t: {
  namespace: string | null;
  pod: string | null;
  container: string | null;
  job: string;
}): string {
  return t.pod === null ? `${t.job}:static` : `${t.namespace}/${t.pod}/${t.container}`;
}

// The fixtures of `logferry targets` (targets.test.ts, targets-cluster.test.ts).
export const config = join(dryrunFixtures, 'kubernetes.yaml');
export const pods = join(dryrunFixtures, 'pods.json');
export const staticConfig = join(dryrunFixtures, 'static.yaml');

/** The line of the relabel rule (its `- ` line) that holds `needle`. */
export function ruleLine(needle: string): number {
  const lines = readFileSync(config, 'utf8').split('\n');
  let i = lineOf(config, needle, lineOf(config, 'relabel_configs:')) - 1;
  while (!/^\s*- /.test(lines[i]!)) i--;
  return i + 1;
}

/** `logferry targets <args> --output json`: exit 0 and the documented shape. */
export async function targetsJson(args: string[]): Promise<TargetsDoc> {
  const r = await cli(['targets', ...args, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc: unknown = JSON.parse(r.stdout);
  assertTargetsShape(doc);
  return doc;
}
