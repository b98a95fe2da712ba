// `logferry targets`: discovery and relabeling run once, nothing tailed or sent. Prints each
// target the agent would tail (labels, `__path__`, the files it matches now) and each target it
// would not, with the rule or check that dropped it; `--explain` shows every relabel step of
// one pod's targets.

import { formatDuration, parseDuration } from '../config/reader.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type FlagSpec, type ParsedFlags, UsageError } from '../flags.js';
import { diffLabels, type RelabelStep } from '../relabel/trace.js';
import { matchingFiles } from '../targets/file/listing.js';
import { type LabelSet, ReservedLabels, type TargetGroup } from '../types.js';
import {
  booleanFlag,
  CommandError,
  type CommandIO,
  configFlags,
  configLoadOptions,
  configPath,
  exitOk,
  formatLabelSet,
  indent,
  loadCommandConfig,
  outputFlag,
  outputFormat,
  type Palette,
  palette,
  parseCommandFlags,
  selectJobs,
  sortedLabels,
  stringFlag,
  useColour,
} from './common.js';
import type { KubeObjects } from './pods.js';
import { PodsFileError, readPodsFile } from './pods.js';
import {
  type DroppedTarget,
  identityOf,
  type JobResult,
  type KeptTarget,
  resolveJob,
  resolveOne,
  targetName,
  withFiles,
} from './resolve.js';
import { describeSourceJob, renderSourceJob, type SourceJson } from './source-jobs.js';
import { discoverJob } from './sources.js';
import { writtenRule } from './written.js';

export const targetsFlags: readonly FlagSpec[] = [
  ...configFlags,
  {
    name: 'pods',
    kind: 'string',
    default: '',
    help: 'Read pods from this file (PodList, `kubectl get pods -o json|yaml`, or several Pod objects) instead of a cluster.',
  },
  {
    name: 'kubeconfig',
    kind: 'string',
    default: '',
    help: "List pods with this kubeconfig (default: the config's api_server/kubeconfig_file, else in-cluster).",
  },
  {
    name: 'node',
    kind: 'string',
    default: '',
    help: 'Act as the agent on this node: only its pods, and targets whose __host__ differs are dropped.',
  },
  { name: 'job', kind: 'string', default: '', help: 'Only this scrape config.' },
  {
    name: 'explain',
    kind: 'string',
    default: '',
    help: "Show every relabel step for <namespace>/<pod>[/<container>] (or a static target's address).",
  },
  outputFlag,
  {
    name: 'timeout',
    kind: 'string',
    default: '10s',
    help: "How long to wait for a cluster's pod list.",
  },
];

/** The JSON document of `logferry targets --output json`. */
export interface TargetsJson {
  /** Jobs that read a journal, syslog or push source (no discovery); absent when there is none. */
  sources?: SourceJson[];
  targets: {
    job: string;
    namespace: string | null;
    pod: string | null;
    container: string | null;
    labels: LabelSet;
    path: string;
    files: string[];
  }[];
  dropped: {
    job: string;
    namespace: string | null;
    pod: string | null;
    container: string | null;
    rule: { index: number; action: string; line: number; text: string } | null;
    reason: DroppedTarget['reason'];
    labels: LabelSet;
  }[];
}

interface Discovered {
  job: ScrapeConfig;
  groups: TargetGroup[];
}

export async function runTargets(argv: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseCommandFlags(argv, targetsFlags);
  if (flags.positional.length > 0) throw new UsageError(`unexpected argument "${flags.positional[0]}"`);
  const format = outputFormat(flags);
  const explain = stringFlag(flags, 'explain');
  const explainParts = explain === undefined ? undefined : parseExplain(explain);
  const timeoutText = stringFlag(flags, 'timeout') ?? '10s';
  const timeoutMs = parseDuration(timeoutText, 's');
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new UsageError(`invalid value "${timeoutText}" for flag -timeout: a duration such as 10s`);

  const config = loadCommandConfig(
    configPath(flags, io),
    booleanFlag(flags, 'config.expand-env'),
    io.env,
    configLoadOptions(flags, io),
  );
  const jobs = selectJobs(config, stringFlag(flags, 'job'));
  const node = stringFlag(flags, 'node');
  const discovered = await discover(
    config,
    jobs.filter((j) => !j.source),
    flags,
    io,
    timeoutMs,
  );
  const sources = jobs.flatMap((j) => {
    const s = describeSourceJob(j);
    return s ? [{ job: j, source: s }] : [];
  });
  const p = palette(useColour(io));

  if (explainParts !== undefined) {
    const explained = await explainTargets(discovered, explainParts, node, config.file);
    if (explained.length === 0) {
      throw new CommandError(`no discovered target is ${explain}${suggest(discovered, explainParts)}`);
    }
    io.stdout.write(
      format === 'json'
        ? `${JSON.stringify({ explain: explained }, null, 2)}\n`
        : renderExplain(explained, config, p),
    );
    return exitOk;
  }

  const options = { configFile: config.file, ...(node === undefined ? {} : { node }) };
  const results = discovered.map((d) => resolveJob(d.job, d.groups, options));
  await withFiles(results);
  if (format === 'json')
    io.stdout.write(
      `${JSON.stringify(
        { ...targetsJson(results), ...(sources.length ? { sources: sources.map((s) => s.source) } : {}) },
        null,
        2,
      )}\n`,
    );
  else {
    const text = renderTargets(results, config, describeSource(flags, timeoutMs), p);
    const extra = sources.flatMap((s) => ['', ...renderSourceJob(s.job, s.source, p)]);
    io.stdout.write(extra.length ? insertBeforeTotal(text, extra, sources.length) : text);
  }
  return exitOk;
}

async function discover(
  config: Config,
  jobs: readonly ScrapeConfig[],
  flags: ParsedFlags,
  io: CommandIO,
  timeoutMs: number,
): Promise<Discovered[]> {
  const podsFile = stringFlag(flags, 'pods');
  let pods: KubeObjects | undefined;
  if (podsFile !== undefined) {
    try {
      pods = readPodsFile(podsFile);
    } catch (e) {
      if (e instanceof PodsFileError) throw new CommandError(e.message);
      throw e;
    }
  }
  const node = stringFlag(flags, 'node');
  const kubeconfig = stringFlag(flags, 'kubeconfig');
  const out: Discovered[] = [];
  for (const job of jobs) {
    const groups = await discoverJob(config, job, {
      ...(pods ? { pods } : {}),
      ...(node !== undefined ? { node } : {}),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      env: io.env,
      timeoutMs,
    });
    out.push({ job, groups });
  }
  return out;
}

function describeSource(flags: ParsedFlags, timeoutMs: number): string {
  const node = stringFlag(flags, 'node');
  const where = node === undefined ? 'all nodes' : `node ${node}`;
  const pods = stringFlag(flags, 'pods');
  if (pods !== undefined) return `pods from ${pods} (${where})`;
  const kc = stringFlag(flags, 'kubeconfig');
  return `pods from ${kc ? `the cluster of ${kc}` : 'the cluster'} (${where}, waited up to ${formatDuration(timeoutMs)})`;
}

/** The source jobs go after the file jobs, and count in the last line. */
function insertBeforeTotal(text: string, extra: string[], count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const total = lines.pop()!;
  lines.pop();
  return `${[...lines, ...extra, '', `${total}, ${count} source(s)`].join('\n')}\n`;
}

export function targetsJson(results: readonly JobResult[]): TargetsJson {
  return {
    targets: results.flatMap((r) =>
      r.targets.map((t) => ({
        job: t.job,
        namespace: t.namespace,
        pod: t.pod,
        container: t.container,
        labels: sortedLabels(t.labels),
        path: t.path,
        files: t.files,
      })),
    ),
    dropped: results.flatMap((r) =>
      r.dropped.map((d) => ({
        job: d.job,
        namespace: d.namespace,
        pod: d.pod,
        container: d.container,
        rule: d.rule,
        reason: d.reason,
        labels: sortedLabels(d.labels),
      })),
    ),
  };
}

function renderTargets(results: readonly JobResult[], config: Config, source: string, p: Palette): string {
  const out: string[] = [];
  const kept = results.reduce((n, r) => n + r.targets.length, 0);
  const dropped = results.reduce((n, r) => n + r.dropped.length, 0);
  const usesPods = results.some((r) => r.job.kubernetesSdConfigs.length > 0);
  out.push(`${p.bold('config')} ${config.file}: valid${usesPods ? `; ${source}` : ''}`);
  for (const r of results) {
    out.push('');
    out.push(
      `${p.bold(`job ${r.job.jobName}`)} ${p.dim(`(line ${r.job.line})`)}: ${r.targets.length} target(s), ${r.dropped.length} dropped`,
    );
    for (const t of r.targets) out.push(...renderKept(t, p));
    for (const d of r.dropped) out.push(...renderDropped(d, p));
  }
  out.push('', `${kept} target(s), ${dropped} dropped`);
  return `${out.join('\n')}\n`;
}

function renderKept(t: KeptTarget, p: Palette): string[] {
  const lines = [`  ${p.green('+')} ${p.bold(targetName(t))}`];
  lines.push(`      labels  ${formatLabelSet(t.labels)}`);
  lines.push(`      path    ${t.path}${t.pathExclude ? `  (excluding ${t.pathExclude})` : ''}`);
  if (t.files.length === 0) lines.push(`      files   ${p.yellow('none match now')}`);
  else lines.push(...t.files.map((f, i) => `      ${i === 0 ? 'files ' : '      '}  ${f}`));
  return lines;
}

function renderDropped(d: DroppedTarget, p: Palette): string[] {
  const lines = [`  ${p.red('-')} ${p.bold(targetName(d))}  ${p.red(`dropped: ${d.why}`)}`];
  if (d.rule) lines.push(p.dim(indent(d.rule.text, '        ')));
  const seen = d.rule ? ruleSources(d) : undefined;
  if (seen) lines.push(`      it saw  ${seen}`);
  const own = publicLabels(d.labels);
  lines.push(
    `      labels  ${formatLabelSet(own.labels)}${own.hidden ? p.dim(` (+${own.hidden} __ labels: --output json or --explain shows them)`) : ''}`,
  );
  return lines;
}

/** The values of the dropping rule's source labels, which decided the drop. */
function ruleSources(d: DroppedTarget): string | undefined {
  if (d.sourceLabels.length === 0) return undefined;
  return d.sourceLabels.map((n) => `${n}=${JSON.stringify(d.labels[n] ?? '')}`).join(', ');
}

function publicLabels(labels: LabelSet): { labels: LabelSet; hidden: number } {
  const out: LabelSet = {};
  let hidden = 0;
  for (const [n, v] of Object.entries(labels)) {
    if (n.startsWith('__') && n !== ReservedLabels.path && n !== ReservedLabels.host) hidden++;
    else out[n] = v;
  }
  return { labels: out, hidden };
}

// --- explain --------------------------------------------------------------------------------

interface ExplainQuery {
  namespace: string;
  pod: string;
  container?: string;
  /** The whole argument, matched against a static target's `__address__`. */
  raw: string;
}

function parseExplain(text: string): ExplainQuery {
  const parts = text.split('/');
  if (parts.length > 3 || parts.some((s) => s === ''))
    throw new UsageError(
      `invalid value "${text}" for flag -explain: expected <namespace>/<pod>[/<container>] or a static target's address`,
    );
  // One part can only be an address; two or three are a pod.
  const q: ExplainQuery = { namespace: parts.length > 1 ? parts[0]! : '', pod: parts[1] ?? '', raw: text };
  if (parts[2] !== undefined) q.container = parts[2];
  return q;
}

/** The JSON of one explained target. */
export interface ExplainJson {
  job: string;
  job_line: number;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  discovered_labels: LabelSet;
  steps: {
    index: number;
    action: string;
    line: number;
    text: string;
    effect: RelabelStep['effect'];
    before: LabelSet;
    after: LabelSet | null;
  }[];
  /** What became of the target. */
  result: {
    kept: boolean;
    reason: DroppedTarget['reason'] | null;
    why: string | null;
    labels: LabelSet;
    path: string | null;
    files: string[];
  };
}

async function explainTargets(
  discovered: readonly Discovered[],
  q: ExplainQuery,
  node: string | undefined,
  configFile: string,
): Promise<ExplainJson[]> {
  const out: ExplainJson[] = [];
  for (const { job, groups } of discovered) {
    const seen = new Set<string>();
    for (const g of groups) {
      for (const t of g.targets) {
        const labels = { ...g.labels, ...t };
        const id = identityOf(labels);
        const isPod =
          id.namespace === q.namespace &&
          id.pod === q.pod &&
          (q.container === undefined || id.container === q.container);
        if (!isPod && labels[ReservedLabels.address] !== q.raw) continue;
        // A container with several ports is several targets; the ports rarely matter to a log config.
        const key = `${id.container}\u0000${labels[ReservedLabels.address]}`;
        if (seen.has(key) || (isPod && seen.has(`${id.container}`))) continue;
        seen.add(key);
        seen.add(`${id.container}`);
        const r = resolveOne(job, labels, { configFile, ...(node === undefined ? {} : { node }) });
        const steps = r.trace.steps.map((s) => ({
          index: s.index,
          action: s.rule.action,
          line: s.rule.line,
          text: writtenRule(configFile, s.rule.line, s.rule.text),
          effect: s.effect,
          before: sortedLabels(s.before),
          after: s.after && sortedLabels(s.after),
        }));
        const result: ExplainJson['result'] =
          'kept' in r
            ? {
                kept: true,
                reason: null,
                why: null,
                labels: sortedLabels(r.kept.labels),
                path: r.kept.path,
                files: await matchingFiles(r.kept.path, r.kept.pathExclude),
              }
            : {
                kept: false,
                reason: r.dropped.reason,
                why: r.dropped.why,
                labels: sortedLabels(r.dropped.labels),
                path: null,
                files: [],
              };
        out.push({
          job: job.jobName,
          job_line: job.line,
          ...id,
          discovered_labels: sortedLabels(labels),
          steps,
          result,
        });
      }
    }
  }
  return out;
}

function suggest(discovered: readonly Discovered[], q: ExplainQuery): string {
  const names = new Set<string>();
  for (const { groups } of discovered)
    for (const g of groups)
      for (const t of g.targets) {
        const id = identityOf({ ...g.labels, ...t });
        if (id.pod !== null && (id.namespace === q.namespace || id.pod === q.pod))
          names.add(`${id.namespace}/${id.pod}/${id.container}`);
      }
  const list = [...names].sort().slice(0, 10);
  return list.length
    ? `; discovered nearby: ${list.join(', ')}`
    : ' (no such pod was discovered: check --pods, --node and the namespaces of kubernetes_sd_configs)';
}

function renderExplain(explained: readonly ExplainJson[], config: Config, p: Palette): string {
  const out: string[] = [];
  for (const e of explained) {
    if (out.length) out.push('');
    const name =
      e.pod !== null ? [e.namespace, e.pod, e.container].join('/') : (e.discovered_labels.__address__ ?? '');
    out.push(`${p.bold(name)} in job ${p.bold(e.job)} ${p.dim(`(${config.file}:${e.job_line})`)}`);
    out.push('discovered labels:');
    for (const [n, v] of Object.entries(e.discovered_labels)) out.push(`    ${n}=${JSON.stringify(v)}`);
    if (e.steps.length === 0) out.push('no relabel_configs');
    for (const s of e.steps) {
      const head = `rule #${s.index} ${s.action} ${p.dim(`(line ${s.line})`)}`;
      const effect =
        s.effect === 'dropped'
          ? p.red('DROPPED the target')
          : s.effect === 'changed'
            ? p.yellow('changed')
            : p.dim('no change');
      out.push(`${head}: ${effect}`);
      out.push(p.dim(indent(s.text, '    | ')));
      if (s.effect === 'changed' && s.after) {
        const d = diffLabels(s.before, s.after);
        for (const [n, v] of Object.entries(d.added)) out.push(p.green(`    + ${n}=${JSON.stringify(v)}`));
        for (const [n, [a, b]] of Object.entries(d.changed))
          out.push(p.yellow(`    ~ ${n}=${JSON.stringify(a)} -> ${JSON.stringify(b)}`));
        for (const [n, v] of Object.entries(d.removed)) out.push(p.red(`    - ${n}=${JSON.stringify(v)}`));
      }
    }
    const r = e.result;
    if (r.kept) {
      out.push(
        `${p.green('kept')}: labels starting with __ are removed (but __path__ and __path_exclude__ are used)`,
      );
      out.push(`    labels  ${formatLabelSet(r.labels)}`);
      out.push(`    path    ${r.path}`);
      out.push(`    files   ${r.files.length ? r.files.join('\n            ') : p.yellow('none match now')}`);
    } else {
      out.push(`${p.red('dropped')}: ${r.why}`);
      if (r.reason !== 'relabeling') out.push(`    labels after relabeling  ${formatLabelSet(r.labels)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
