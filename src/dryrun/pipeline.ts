// `logferry pipeline`: feeds sample lines (a file or stdin) through one job's pipeline, starting
// from given labels or from a discovered pod's target labels, and prints per line what each
// stage changed and the entry that would be sent, or where it was dropped. A journal job reads
// saved journal entries instead (journalctl -o export or -o json).

import { readFileSync } from 'node:fs';
import { formatWarning } from '../config/reader.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type FlagSpec, UsageError } from '../flags.js';
import { CardinalityGuard } from '../pipeline/cardinality.js';
import { matchingFiles } from '../targets/file/listing.js';
import type { LabelSet } from '../types.js';
import {
  booleanFlag,
  CommandError,
  type CommandIO,
  configFlags,
  configLoadOptions,
  configPath,
  exitOk,
  formatLabelSet,
  loadCommandConfig,
  outputFlag,
  outputFormat,
  type Palette,
  palette,
  parseCommandFlags,
  parseLabelsArg,
  selectJobs,
  stringFlag,
  useColour,
} from './common.js';
import { journalInputs } from './journal-input.js';
import {
  type FieldChange,
  type LineRecord,
  type PipelineRun,
  runPipelineEntries,
  runPipelineLines,
} from './pipeline-run.js';
import type { KubeObjects } from './pods.js';
import { PodsFileError, readPodsFile } from './pods.js';
import { identityOf, type KeptTarget, resolveOne } from './resolve.js';
import { discoverJob } from './sources.js';

export const pipelineFlags: readonly FlagSpec[] = [
  ...configFlags,
  {
    name: 'job',
    kind: 'string',
    default: '',
    help: 'The scrape config whose pipeline runs (needed when there are several).',
  },
  {
    name: 'labels',
    kind: 'string',
    default: '',
    help: 'Labels each line starts with: name=value,name2=value2 (added to those of -pod).',
  },
  {
    name: 'pod',
    kind: 'string',
    default: '',
    help: "Start from this pod's target labels: <namespace>/<pod>[/<container>] (with -pods, or the cluster).",
  },
  { name: 'pods', kind: 'string', default: '', help: 'Pods file for -pod (as for `logferry targets`).' },
  { name: 'kubeconfig', kind: 'string', default: '', help: 'List pods with this kubeconfig for -pod.' },
  {
    name: 'time',
    kind: 'string',
    default: '',
    help: 'The time every line is read at (RFC 3339, or Unix seconds/nanoseconds); default now.',
  },
  outputFlag,
];

export async function runPipeline(argv: readonly string[], io: CommandIO): Promise<number> {
  const flags = parseCommandFlags(argv, pipelineFlags);
  if (flags.positional.length > 1)
    throw new UsageError(`one input file at most, got ${flags.positional.length}`);
  const format = outputFormat(flags);
  const extraLabels = parseLabelsArg(stringFlag(flags, 'labels') ?? '', 'labels');
  const podArg = stringFlag(flags, 'pod');
  const timeArg = stringFlag(flags, 'time');
  const timestamp = timeArg === undefined ? undefined : parseTime(timeArg);

  const config = loadCommandConfig(
    configPath(flags, io),
    booleanFlag(flags, 'config.expand-env'),
    io.env,
    configLoadOptions(flags, io),
  );
  const job = pickJob(config, stringFlag(flags, 'job'), podArg !== undefined);
  // As the running agent gives them: the target's labels after relabeling, and `filename`.
  let labels: LabelSet = {};
  if (podArg === undefined) labels = await staticTargetLabels(job);
  else
    labels = await podLabels(
      config,
      job,
      podArg,
      stringFlag(flags, 'pods'),
      stringFlag(flags, 'kubeconfig'),
      io,
    );
  labels = { ...labels, ...extraLabels };

  const input = flags.positional[0];
  const bytes = await readInput(input, io);
  const cardinality = new CardinalityGuard();
  // A journal job reads saved journal entries (export or JSON), as its target would hand them on.
  const run =
    job.source?.kind === 'journal'
      ? runPipelineEntries(
          job,
          { ...job.source.config.labels, ...labels },
          journalInputs(job, bytes, timestamp, labels),
          { cardinality },
        )
      : runPipelineLines(
          job,
          labels,
          splitLines(bytes.toString('utf8')),
          timestamp === undefined ? { cardinality } : { timestamp, cardinality },
        );
  for (const w of cardinality.report()) io.stderr.write(`warning: ${formatWarning(w)}\n`);
  if (format === 'json') io.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  else io.stdout.write(renderRun(run, palette(useColour(io))));
  return exitOk;
}

export function pickJob(config: Config, name: string | undefined, forPod = false): ScrapeConfig {
  if (name !== undefined) return selectJobs(config, name)[0]!;
  if (config.scrapeConfigs.length === 1) return config.scrapeConfigs[0]!;
  // A pod can only come from a job that discovers pods.
  const kube = config.scrapeConfigs.filter((s) => s.kubernetesSdConfigs.length > 0);
  if (forPod && kube.length === 1) return kube[0]!;
  const jobs = config.scrapeConfigs.map((s) => s.jobName).join(', ') || 'none';
  throw new UsageError(
    `-job is needed: the config has ${config.scrapeConfigs.length} scrape configs (${jobs})`,
  );
}

/** RFC 3339 (any fraction), or a Unix time in seconds (with fraction) or nanoseconds. */
export function parseTime(text: string): bigint {
  if (/^\d{16,}$/.test(text)) return BigInt(text);
  if (/^\d+(\.\d+)?$/.test(text)) {
    const [s, f = ''] = text.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt((f + '000000000').slice(0, 9));
  }
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  const ms = m ? Date.parse(`${m[1]!.replace(/[t ]/, 'T')}${m[3]!.toUpperCase()}`) : Number.NaN;
  if (!m || Number.isNaN(ms))
    throw new UsageError(
      `invalid time "${text}": use RFC 3339 (2024-05-01T10:00:00.123456789Z) or Unix seconds`,
    );
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

async function podLabels(
  config: Config,
  job: ScrapeConfig,
  arg: string,
  podsFile: string | undefined,
  kubeconfig: string | undefined,
  io: CommandIO,
): Promise<LabelSet> {
  const parts = arg.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === ''))
    throw new UsageError(`invalid value "${arg}" for flag -pod: expected <namespace>/<pod>[/<container>]`);
  const [ns, name, container] = parts;
  let pods: KubeObjects | undefined;
  if (podsFile !== undefined) {
    try {
      pods = readPodsFile(podsFile);
    } catch (e) {
      if (e instanceof PodsFileError) throw new CommandError(e.message);
      throw e;
    }
  }
  const groups = await discoverJob(config, job, {
    ...(pods ? { pods } : {}),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    env: io.env,
  });
  const candidates = new Map<string, LabelSet>();
  for (const g of groups)
    for (const t of g.targets) {
      const labels = { ...g.labels, ...t };
      const id = identityOf(labels);
      if (id.namespace !== ns || id.pod !== name || (container !== undefined && id.container !== container))
        continue;
      if (!candidates.has(id.container ?? '')) candidates.set(id.container ?? '', labels);
    }
  if (candidates.size === 0)
    throw new CommandError(
      `job ${job.jobName} discovers no target for pod ${arg}: check -pods and the job's kubernetes_sd_configs`,
    );
  if (candidates.size > 1)
    throw new UsageError(
      `pod ${arg} has several containers (${[...candidates.keys()].join(', ')}): add /<container>`,
    );
  const [discovered] = candidates.values();
  const r = resolveOne(job, discovered!);
  if ('dropped' in r)
    throw new CommandError(`pod ${arg} is not a target of job ${job.jobName}: ${r.dropped.why}`);
  return withFilename(r.kept);
}

/**
 * The labels of the job's first static target that relabeling keeps, with `filename`; none
 * when the job has no static target (give -labels or -pod then).
 */
async function staticTargetLabels(job: ScrapeConfig): Promise<LabelSet> {
  for (const sc of job.staticConfigs) {
    for (const address of sc.targets.length > 0 ? sc.targets : ['']) {
      const r = resolveOne(job, { __address__: address, ...sc.labels });
      if ('kept' in r) return withFilename(r.kept);
    }
  }
  return {};
}

/** `filename` as the tailer sets it: the first file the glob matches now, else the `__path__` itself. */
async function withFilename(target: KeptTarget): Promise<LabelSet> {
  if (!target.path) return target.labels;
  const files = await matchingFiles(target.path, target.pathExclude).catch(() => []);
  return { ...target.labels, filename: files[0] ?? target.path };
}

async function readInput(file: string | undefined, io: CommandIO): Promise<Buffer> {
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new CommandError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Lines as the tailer splits them: on `\n`, a last line without one kept. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// --- text output ----------------------------------------------------------------------------

export function renderRun(run: PipelineRun, p: Palette): string {
  const out: string[] = [`${p.bold('job')} ${run.job}, labels ${formatLabelSet(run.labels)}`];
  let sent = 0;
  let dropped = 0;
  for (const r of [...run.lines, ...(run.flush ? [run.flush] : [])]) {
    out.push('');
    out.push(
      r.number === 0
        ? p.bold('end of input (flush)')
        : `${p.bold(`line ${r.number}`)}  ${show(r.input ?? '')}`,
    );
    out.push(...renderRecord(r, p));
    sent += r.entries.length;
    dropped += r.dropped.length;
  }
  out.push(
    '',
    `${run.lines.length} line(s) in, ${sent} entr${sent === 1 ? 'y' : 'ies'} out, ${dropped} dropped`,
  );
  return `${out.join('\n')}\n`;
}

function renderRecord(r: LineRecord, p: Palette): string[] {
  const out: string[] = [];
  for (const [i, s] of r.stages.entries()) {
    const pad = '  '.repeat(s.depth + 1);
    const head = `${pad}${p.cyan(s.stage)}`;
    switch (s.result) {
      case 'dropped':
        out.push(`${head}  ${p.red(`dropped (${s.reason})`)}`);
        continue;
      case 'held':
        out.push(`${head}  ${p.yellow('held (waiting for more lines)')}`);
        continue;
      case 'failed':
        out.push(`${head}  ${p.red(`failed: ${s.reason}; the entry goes on unchanged`)}`);
        continue;
    }
    // A stage with nested ones (match): they show the changes, one by one.
    const nested = (r.stages[i + 1]?.depth ?? -1) > s.depth;
    if (s.result === 'emitted' && s.changes.length > 0 && !s.changes.some((c) => 'before' in c)) {
      // An entry the stage built (a multiline block): only its line is of interest.
      const line = s.changes.find((c) => c.field === 'line');
      out.push(`${head}  ${p.yellow('passes on an entry it built from held lines')}`);
      if (line) out.push(`${pad}    ${p.green(`line: ${JSON.stringify(line.after)}`)}`);
      continue;
    }
    const what = s.result === 'emitted' ? p.yellow('  passes on an entry it held') : '';
    const none = s.changes.length === 0 ? p.dim('  no change') : '';
    out.push(`${head}${what}${nested ? '' : none}`);
    if (!nested) for (const c of s.changes) out.push(`${pad}    ${renderChange(c, p)}`);
  }
  for (const e of r.entries) {
    out.push(`  ${p.green('=> entry')}  ${e.timestamp} ${formatLabelSet(e.labels)}`);
    out.push(`     line  ${show(e.line)}`);
    if (Object.keys(e.structured_metadata).length)
      out.push(`     structured metadata  ${formatLabelSet(e.structured_metadata)}`);
  }
  for (const d of r.dropped) out.push(`  ${p.red(`=> dropped by ${d.stage} (${d.reason})`)}`);
  if (r.number !== 0 && r.entries.length === 0 && r.dropped.length === 0)
    out.push(`  ${p.yellow('=> nothing sent yet: a stage holds the line')}`);
  return out;
}

function renderChange(c: FieldChange, p: Palette): string {
  const v = (x: unknown) => JSON.stringify(x);
  if (!('before' in c)) return p.green(`+ ${c.field}: ${v(c.after)}`);
  if (!('after' in c)) return p.red(`- ${c.field}: ${v(c.before)}`);
  return p.yellow(`~ ${c.field}: ${v(c.before)} -> ${v(c.after)}`);
}

/** As it is, unless spaces at the ends or control characters would not show: then JSON-quoted. */
function show(s: string): string {
  return s === '' || /^\s|\s$|[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s;
}
