// `logferry test FILE...`: unit tests for a config's relabel rules and pipelines, to keep in CI.
// A test file names a config and lists cases; a targets case feeds pods or discovered labels
// through relabeling and compares the targets kept and dropped; a pipeline case feeds lines
// with labels through a job's pipeline and compares the entries sent. Each case is reported as
// passed or failed with a diff; the last line is `N passed, M failed`.
//
//   config: ../examples/kubernetes.yaml      # relative to the test file
//   cases:
//     - name: app pods keep their app label
//       job: kubernetes-pods                 # optional with a single scrape config
//       targets:
//         pods: pods.yaml                    # a file, or Pod objects inline; or `labels: {...}`
//         node: node-1                       # optional
//       expect:
//         targets:                           # every kept target (any order)
//           - pod: default/web-1/nginx       # optional: which target
//             labels: {namespace: default, app: web}
//             path: /var/log/pods/*/nginx/*.log   # optional
//         dropped:                           # every dropped target
//           - pod: kube-system/coredns-1/coredns
//             rule: 1                        # optional: relabel rule index; also action, reason
//     - name: json lines get a level label
//       pipeline:
//         labels: {app: web}
//         time: 2024-05-01T10:00:00Z         # optional read time
//         lines: ['{"level":"info","msg":"hi"}']   # or, for a journal job, `journal:` entries
//                                            # as journalctl -o json objects (MESSAGE, _SYSTEMD_UNIT, ...)
//       expect:
//         entries:                           # every entry sent, in order
//           - labels: {app: web, level: info}
//             line: hi
//             timestamp: 2024-05-01T10:00:00Z     # optional
//             structured_metadata: {}             # optional
//         dropped: 0                         # optional: how many lines were dropped

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, ConfigNode, formatWarning } from '../config/reader.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type FlagSpec, UsageError } from '../flags.js';
import { CardinalityGuard } from '../pipeline/cardinality.js';
import type { LabelSet } from '../types.js';
import {
  CommandError,
  type CommandIO,
  type ConfigLoadOptions,
  configFlags,
  configLoadOptions,
  exitFailed,
  exitOk,
  formatLabelSet,
  loadCommandConfig,
  type Palette,
  palette,
  parseCommandFlags,
  selectJobs,
  useColour,
} from './common.js';
import { journalInputsFromObjects } from './journal-input.js';
import { parseTime, splitLines } from './pipeline.js';
import { type OutputEntry, runPipelineEntries, runPipelineLines } from './pipeline-run.js';
import type { KubeObjects } from './pods.js';
import { PodsFileError, podsFromValues, readPodsFile } from './pods.js';
import { type DroppedTarget, type JobResult, type KeptTarget, resolveJob, targetName } from './resolve.js';
import { discoverJob } from './sources.js';

export const testFlags: readonly FlagSpec[] = [
  {
    name: 'run',
    kind: 'string',
    default: '',
    help: 'Run only the cases whose name contains this text.',
  },
  ...configFlags.filter((f) => f.name === 'config.strict' || f.name === 'strict'),
];

interface ExpectedTarget {
  pod?: string;
  labels?: LabelSet;
  path?: string;
}

interface ExpectedDrop {
  pod?: string;
  rule?: number;
  action?: string;
  reason?: string;
}

interface ExpectedEntry {
  labels?: LabelSet;
  line?: string;
  timestamp?: bigint;
  structuredMetadata?: LabelSet;
}

type Case = {
  name: string;
  line: number;
  job: string | undefined;
} & (
  | {
      kind: 'targets';
      pods: KubeObjects | undefined;
      labels: LabelSet | undefined;
      node: string | undefined;
      targets: ExpectedTarget[] | undefined;
      dropped: ExpectedDrop[] | undefined;
    }
  | {
      kind: 'pipeline';
      labels: LabelSet;
      time: bigint | undefined;
      lines: string[];
      /** A journal job's input: entries as `journalctl -o json` objects. */
      journal: Record<string, unknown>[] | undefined;
      entries: ExpectedEntry[] | undefined;
      droppedCount: number | undefined;
    }
);

interface TestFile {
  file: string;
  config: Config;
  cases: Case[];
}

export async function runTests(argv: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseCommandFlags(argv, testFlags);
  if (flags.positional.length === 0) throw new UsageError('name at least one test file');
  const filter = flags.values.get('run') as string | undefined;
  const p = palette(useColour(io));
  let passed = 0;
  let failed = 0;
  for (const arg of flags.positional) {
    const file = resolve(io.cwd, arg);
    let suite: TestFile;
    try {
      suite = loadTestFile(file, io.env, configLoadOptions(flags, io));
    } catch (e) {
      if (!(e instanceof ConfigError || e instanceof CommandError)) throw e;
      io.stdout.write(
        `${p.bold(arg)}\n  ${p.red('FAIL')}  ${e instanceof ConfigError ? `invalid test file: ${e.message}` : e.message}\n`,
      );
      failed++;
      continue;
    }
    io.stdout.write(`${p.bold(arg)} ${p.dim(`(config ${suite.config.file})`)}\n`);
    // The values the suite's pipeline cases give each label, over all of them.
    const cardinality = new CardinalityGuard();
    for (const c of suite.cases) {
      if (filter && !c.name.includes(filter)) continue;
      let problems: string[];
      try {
        problems = await runCase(suite, c, cardinality);
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        problems = [
          e instanceof CommandError || e instanceof ConfigError ? e.message : `error: ${e.message}`,
        ];
      }
      if (problems.length === 0) {
        passed++;
        io.stdout.write(`  ${p.green('ok')}    ${c.name}\n`);
      } else {
        failed++;
        io.stdout.write(`  ${p.red('FAIL')}  ${c.name} ${p.dim(`(${arg}:${c.line})`)}\n`);
        for (const problem of problems) io.stdout.write(`${paint(problem, p).replace(/^/gm, '        ')}\n`);
      }
    }
    for (const w of cardinality.report()) io.stderr.write(`warning: ${formatWarning(w)}\n`);
  }
  io.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  return failed === 0 ? exitOk : exitFailed;
}

/** Colours the `-`/`+` lines of a diff. */
function paint(text: string, p: Palette): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('- ') ? p.red(l) : l.startsWith('+ ') ? p.green(l) : l))
    .join('\n');
}

// --- the test file --------------------------------------------------------------------------

function loadTestFile(file: string, env: NodeJS.ProcessEnv, load: ConfigLoadOptions): TestFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(`cannot read test file ${file}: ${(e as Error).message}`);
  }
  const root = ConfigNode.parse(text, file);
  if (!root.isMap()) root.fail('expected a mapping with config and cases');
  root.expectKeys(['config', 'expand_env', 'env', 'cases']);
  const dir = dirname(file);
  const configFile = resolve(dir, root.get('config').string());
  const expandEnv = root.get('expand_env').boolean(false);
  const testEnv = { ...env, ...root.get('env').stringMap({}) };
  const config = loadCommandConfig(configFile, expandEnv, testEnv, load);
  const casesNode = root.get('cases');
  if (casesNode.missing || casesNode.list().length === 0) casesNode.fail('list at least one case');
  const names = new Set<string>();
  const cases = casesNode.list().map((n) => {
    const c = parseCase(n, dir, config);
    if (names.has(c.name)) n.get('name').fail(`two cases are named "${c.name}"`);
    names.add(c.name);
    return c;
  });
  return { file, config, cases };
}

function parseCase(node: ConfigNode, dir: string, config: Config): Case {
  node.expectKeys(['name', 'job', 'targets', 'pipeline', 'expect']);
  const name = node.get('name').string();
  const jobNode = node.get('job');
  const job = jobNode.optionalString();
  if (job !== undefined && !config.scrapeConfigs.some((s) => s.jobName === job))
    jobNode.fail(
      `the config has no job "${job}" (jobs: ${config.scrapeConfigs.map((s) => s.jobName).join(', ')})`,
    );
  const targets = node.get('targets');
  const pipeline = node.get('pipeline');
  if (targets.missing === pipeline.missing) node.fail('a case has either `targets` or `pipeline` input');
  const expect = node.get('expect');
  if (expect.missing) node.failKey('name', 'the case has no `expect`');
  const base = { name, line: node.line, job };
  if (!targets.missing) {
    targets.expectKeys(['pods', 'labels', 'node']);
    expect.expectKeys(['targets', 'dropped']);
    const podsNode = targets.get('pods');
    let pods: KubeObjects | undefined;
    if (!podsNode.missing) {
      try {
        pods = podsNode.isScalar()
          ? readPodsFile(resolve(dir, podsNode.string()))
          : podsFromValues([podsNode.toJS()], `${node.file}:${podsNode.line}`);
      } catch (e) {
        if (e instanceof PodsFileError) podsNode.fail(e.message);
        throw e;
      }
    }
    const labelsNode = targets.get('labels');
    if (!podsNode.missing && !labelsNode.missing) targets.failKey('labels', 'give either pods or labels');
    const expTargets = expect.get('targets');
    const expDropped = expect.get('dropped');
    if (expTargets.missing && expDropped.missing) expect.fail('expect targets, dropped, or both');
    return {
      ...base,
      kind: 'targets',
      pods,
      labels: labelsNode.missing ? undefined : labelsNode.stringMap(),
      node: targets.get('node').optionalString(),
      targets: expTargets.missing
        ? undefined
        : expTargets.list().map((t) => {
            t.expectKeys(['pod', 'labels', 'path']);
            const e: ExpectedTarget = {};
            const pod = t.get('pod').optionalString();
            if (pod !== undefined) e.pod = pod;
            if (!t.get('labels').missing) e.labels = t.get('labels').stringMap();
            const path = t.get('path').optionalString();
            if (path !== undefined) e.path = path;
            return e;
          }),
      dropped: expDropped.missing
        ? undefined
        : expDropped.list().map((d) => {
            d.expectKeys(['pod', 'rule', 'action', 'reason']);
            const e: ExpectedDrop = {};
            const pod = d.get('pod').optionalString();
            if (pod !== undefined) e.pod = pod;
            if (!d.get('rule').missing) e.rule = d.get('rule').integer();
            const action = d.get('action').optionalString();
            if (action !== undefined) e.action = action;
            if (!d.get('reason').missing)
              e.reason = d.get('reason').oneOf(['relabeling', 'wrong_host', 'no_path']);
            return e;
          }),
    };
  }
  pipeline.expectKeys(['labels', 'time', 'lines', 'text', 'journal']);
  expect.expectKeys(['entries', 'dropped']);
  const linesNode = pipeline.get('lines');
  const textNode = pipeline.get('text');
  const journalNode = pipeline.get('journal');
  const given = [linesNode, textNode, journalNode].filter((n) => !n.missing).length;
  if (given !== 1)
    pipeline.fail('give the input as `lines` (a list), `text` (a block) or `journal` (journal entries)');
  const journal = journalNode.missing
    ? undefined
    : journalNode.list().map((n) => {
        if (!n.isMap()) n.fail('expected a journal entry: a mapping of FIELD: value (as journalctl -o json)');
        return n.toJS() as Record<string, unknown>;
      });
  const timeNode = pipeline.get('time');
  const entries = expect.get('entries');
  const dropped = expect.get('dropped');
  if (entries.missing && dropped.missing) expect.fail('expect entries, dropped, or both');
  return {
    ...base,
    kind: 'pipeline',
    labels: pipeline.get('labels').stringMap({}),
    time: timeNode.missing ? undefined : timeOf(timeNode),
    lines: !linesNode.missing
      ? linesNode.stringList()
      : textNode.missing
        ? []
        : splitLines(textNode.string()),
    journal,
    entries: entries.missing
      ? undefined
      : entries.list().map((e) => {
          e.expectKeys(['labels', 'line', 'timestamp', 'structured_metadata']);
          const x: ExpectedEntry = {};
          if (!e.get('labels').missing) x.labels = e.get('labels').stringMap();
          const line = e.get('line').optionalString();
          if (line !== undefined) x.line = line;
          if (!e.get('timestamp').missing) x.timestamp = timeOf(e.get('timestamp'));
          if (!e.get('structured_metadata').missing)
            x.structuredMetadata = e.get('structured_metadata').stringMap();
          return x;
        }),
    droppedCount: dropped.missing ? undefined : dropped.integer(),
  };
}

function timeOf(node: ConfigNode): bigint {
  // YAML reads an unquoted timestamp as a string here (the reader keeps scalars as written).
  const text = node.string();
  try {
    return parseTime(text);
  } catch (e) {
    return node.fail((e as Error).message);
  }
}

// --- running a case -------------------------------------------------------------------------

function jobOf(config: Config, c: Case): ScrapeConfig {
  if (c.job !== undefined) return selectJobs(config, c.job)[0]!;
  if (config.scrapeConfigs.length !== 1)
    throw new CommandError(
      `the case needs a job: the config has ${config.scrapeConfigs.length} scrape configs`,
    );
  return config.scrapeConfigs[0]!;
}

async function runCase(suite: TestFile, c: Case, cardinality: CardinalityGuard): Promise<string[]> {
  const job = jobOf(suite.config, c);
  if (c.kind === 'pipeline') return checkPipeline(job, c, cardinality);
  const options = { configFile: suite.config.file, ...(c.node === undefined ? {} : { node: c.node }) };
  let result: JobResult;
  if (c.labels !== undefined) {
    result = resolveJob(job, [{ source: 'test', targets: [c.labels], labels: {} }], options);
  } else {
    const groups = await discoverJob(suite.config, job, {
      pods: c.pods ?? { pods: [], nodes: new Map(), namespaces: new Map() },
      ...options,
    });
    result = resolveJob(job, groups, options);
  }
  const problems: string[] = [];
  if (c.targets) problems.push(...checkTargets(c.targets, result.targets));
  if (c.dropped) problems.push(...checkDropped(c.dropped, result.dropped, result.targets));
  return problems;
}

function podMatches(want: string, t: KeptTarget | DroppedTarget): boolean {
  const parts = want.split('/');
  if (t.pod === null) return want === targetName(t);
  return (
    parts[0] === t.namespace && parts[1] === t.pod && (parts[2] === undefined || parts[2] === t.container)
  );
}

function checkTargets(expected: readonly ExpectedTarget[], actual: readonly KeptTarget[]): string[] {
  const problems: string[] = [];
  const left = [...actual];
  const unmatched: ExpectedTarget[] = [];
  const take = (i: number) => left.splice(i, 1)[0]!;
  for (const e of expected) {
    let i = -1;
    if (e.pod !== undefined) i = left.findIndex((t) => podMatches(e.pod!, t));
    else if (e.labels !== undefined) i = left.findIndex((t) => sameLabels(t.labels, e.labels!));
    if (i === -1) {
      unmatched.push(e);
      continue;
    }
    problems.push(...compareTarget(e, take(i)));
  }
  // One expected and one actual target left over: most likely the same target, with a difference.
  if (unmatched.length === 1 && left.length === 1 && unmatched[0]!.pod === undefined)
    problems.push(...compareTarget(unmatched.shift()!, take(0)));
  for (const e of unmatched)
    problems.push(
      `missing target ${e.pod ?? ''}${e.labels ? ` ${formatLabelSet(e.labels)}` : ''}: no such target is kept`.replace(
        '  ',
        ' ',
      ),
    );
  for (const t of left) problems.push(`unexpected target ${targetName(t)} ${formatLabelSet(t.labels)}`);
  return problems;
}

function compareTarget(e: ExpectedTarget, t: KeptTarget): string[] {
  const out: string[] = [];
  if (e.labels !== undefined && !sameLabels(e.labels, t.labels))
    out.push(
      `target ${targetName(t)}: labels differ (- expected, + actual)\n${labelDiff(e.labels, t.labels)}`,
    );
  if (e.path !== undefined && e.path !== t.path)
    out.push(`target ${targetName(t)}: path\n- ${e.path}\n+ ${t.path}`);
  return out;
}

function checkDropped(
  expected: readonly ExpectedDrop[],
  actual: readonly DroppedTarget[],
  kept: readonly KeptTarget[],
): string[] {
  const problems: string[] = [];
  const left = [...actual];
  for (const e of expected) {
    const i = e.pod === undefined ? (left.length > 0 ? 0 : -1) : left.findIndex((d) => podMatches(e.pod!, d));
    if (i === -1) {
      const k = e.pod === undefined ? kept[0] : kept.find((t) => podMatches(e.pod!, t));
      problems.push(
        k
          ? `${e.pod ?? 'the target'} was expected to be dropped${describeDrop(e)}, but it is kept with ${formatLabelSet(k.labels)}`
          : `${e.pod ?? 'a target'} was expected to be dropped${describeDrop(e)}, but no such target was discovered`,
      );
      continue;
    }
    const d = left.splice(i, 1)[0]!;
    const diffs: string[] = [];
    if (e.rule !== undefined && d.rule?.index !== e.rule) diffs.push(`rule #${e.rule}`);
    if (e.action !== undefined && d.rule?.action !== e.action.toLowerCase()) diffs.push(`action ${e.action}`);
    if (e.reason !== undefined && d.reason !== e.reason) diffs.push(`reason ${e.reason}`);
    if (diffs.length)
      problems.push(
        `${targetName(d)}: expected to be dropped by ${diffs.join(', ')}, but it was dropped by ${d.why}`,
      );
  }
  for (const d of left) problems.push(`unexpected drop of ${targetName(d)}: ${d.why}`);
  return problems;
}

function describeDrop(e: ExpectedDrop): string {
  const parts = [
    e.rule !== undefined ? `rule #${e.rule}` : '',
    e.action ? `action ${e.action}` : '',
    e.reason ? `reason ${e.reason}` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function checkPipeline(
  job: ScrapeConfig,
  c: Extract<Case, { kind: 'pipeline' }>,
  cardinality: CardinalityGuard,
): string[] {
  const run = c.journal
    ? runPipelineEntries(job, c.labels, journalInputsFromObjects(job, c.journal, c.time), { cardinality })
    : runPipelineLines(
        job,
        c.labels,
        c.lines,
        c.time === undefined ? { cardinality } : { timestamp: c.time, cardinality },
      );
  const records = [...run.lines, ...(run.flush ? [run.flush] : [])];
  const entries = records.flatMap((r) => r.entries);
  const drops = records.flatMap((r) => r.dropped.map((d) => ({ ...d, line: r.number })));
  const problems: string[] = [];
  if (c.entries) {
    const n = Math.max(c.entries.length, entries.length);
    for (let i = 0; i < n; i++) {
      const e = c.entries[i];
      const a = entries[i];
      if (e === undefined) problems.push(`unexpected entry #${i + 1}: ${describeEntry(a!)}`);
      else if (a === undefined)
        problems.push(
          `missing entry #${i + 1}: ${e.line !== undefined ? JSON.stringify(e.line) : ''}${e.labels ? ` ${formatLabelSet(e.labels)}` : ''}`,
        );
      else problems.push(...compareEntry(i + 1, e, a));
    }
  }
  if (c.droppedCount !== undefined && drops.length !== c.droppedCount) {
    const where = drops.map((d) => `line ${d.line} by ${d.stage} (${d.reason})`).join(', ');
    problems.push(
      `expected ${c.droppedCount} dropped line(s), got ${drops.length}${where ? `: ${where}` : ''}`,
    );
  }
  if (problems.length && drops.length && c.droppedCount === undefined)
    problems.push(`(dropped: ${drops.map((d) => `line ${d.line} by ${d.stage} (${d.reason})`).join(', ')})`);
  return problems;
}

function describeEntry(a: OutputEntry): string {
  return `${JSON.stringify(a.line)} ${formatLabelSet(a.labels)}`;
}

function compareEntry(n: number, e: ExpectedEntry, a: OutputEntry): string[] {
  const out: string[] = [];
  if (e.labels !== undefined && !sameLabels(e.labels, a.labels))
    out.push(`entry #${n}: labels differ (- expected, + actual)\n${labelDiff(e.labels, a.labels)}`);
  if (e.line !== undefined && e.line !== a.line)
    out.push(`entry #${n}: line\n- ${JSON.stringify(e.line)}\n+ ${JSON.stringify(a.line)}`);
  if (e.timestamp !== undefined && e.timestamp !== parseTime(a.timestamp))
    out.push(`entry #${n}: timestamp\n- ${formatNs(e.timestamp)}\n+ ${a.timestamp}`);
  if (e.structuredMetadata !== undefined && !sameLabels(e.structuredMetadata, a.structured_metadata))
    out.push(
      `entry #${n}: structured metadata differs (- expected, + actual)\n${labelDiff(e.structuredMetadata, a.structured_metadata)}`,
    );
  return out;
}

function formatNs(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const f = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}${f ? `.${f}` : ''}Z`;
}

function sameLabels(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

/** Only the labels that differ: `- name="expected"` and `+ name="actual"`. */
function labelDiff(expected: LabelSet, actual: LabelSet): string {
  const lines: string[] = [];
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const n of names) {
    const e = Object.hasOwn(expected, n) ? expected[n] : undefined;
    const a = Object.hasOwn(actual, n) ? actual[n] : undefined;
    if (e === a) continue;
    if (e !== undefined) lines.push(`- ${n}=${JSON.stringify(e)}`);
    if (a !== undefined) lines.push(`+ ${n}=${JSON.stringify(a)}`);
  }
  return lines.join('\n');
}
