// What the dry-run subcommands share: their flags (parsed as the agent's, Go style), the exit
// codes (0 ok, 1 invalid config or a failed check, 2 usage), config loading with the error's
// location, output format and colour, and label-set printing.

import { dirname, resolve } from 'node:path';
import { envHint } from '../config/expand-env.js';
import { loadConfig } from '../config/load.js';
import { ConfigError, formatWarning } from '../config/reader.js';
import type { Config, ScrapeConfig } from '../config/types.js';
import { type FlagSpec, flagSpecs, type ParsedFlags, parseFlags, UsageError } from '../flags.js';
import type { LabelSet } from '../types.js';

export const exitOk = 0;
export const exitFailed = 1;
export const exitUsage = 2;

/** Where a subcommand writes; the CLI passes the process streams. */
export interface CommandIO {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CommandIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** A failure the user can act on; `code` is the exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number = exitFailed,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export const configFlags: readonly FlagSpec[] = [
  {
    name: 'config.file',
    kind: 'string',
    default: 'config.yml',
    help: 'The logferry (Promtail) config file.',
  },
  { name: 'config', kind: 'string', default: '', help: 'Same as -config.file.' },
  // The agent's own flags, with their help text.
  flagSpecs.find((s) => s.name === 'config.expand-env')!,
  flagSpecs.find((s) => s.name === 'config.strict')!,
  { name: 'strict', kind: 'boolean', default: false, help: 'Same as -config.strict.' },
];

/** How a subcommand loads its config: `-config.strict`/`-strict`, and where warnings go. */
export interface ConfigLoadOptions {
  strict: boolean;
  stderr: { write(text: string): unknown };
}

export function configLoadOptions(flags: ParsedFlags, io: CommandIO): ConfigLoadOptions {
  return { strict: booleanFlag(flags, 'config.strict') || booleanFlag(flags, 'strict'), stderr: io.stderr };
}

export const outputFlag: FlagSpec = {
  name: 'output',
  kind: 'string',
  default: 'text',
  help: 'text or json.',
};

export function parseCommandFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const parsed = parseFlags(argv, specs);
  for (const s of specs) {
    const v = parsed.values.get(s.name);
    if (s.kind === 'string' && v === '' && s.name !== 'labels')
      throw new UsageError(`flag -${s.name} needs a non-empty value`);
  }
  return parsed;
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function booleanFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values.get(name) === true;
}

export function outputFormat(flags: ParsedFlags): 'text' | 'json' {
  const v = stringFlag(flags, 'output') ?? 'text';
  if (v !== 'text' && v !== 'json')
    throw new UsageError(`invalid value "${v}" for flag -output: text or json`);
  return v;
}

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function useColour(io: CommandIO): boolean {
  return io.stdout.isTTY === true && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

export function configPath(flags: ParsedFlags, io: CommandIO): string {
  return resolve(io.cwd, stringFlag(flags, 'config') ?? stringFlag(flags, 'config.file') ?? 'config.yml');
}

/** Loads the config (no client needed: nothing is sent); a ConfigError keeps its file:line. */
export function loadCommandConfig(
  file: string,
  expandEnv: boolean,
  env: NodeJS.ProcessEnv,
  options: ConfigLoadOptions,
): Config {
  try {
    const config = loadConfig(file, { expandEnv, env, allowNoClients: true, strict: options.strict });
    for (const w of config.warnings ?? []) options.stderr.write(`warning: ${formatWarning(w)}\n`);
    return config;
  } catch (e) {
    if (e instanceof ConfigError)
      throw new CommandError(
        `invalid config: ${e.message}${expandEnv ? '' : `\n${envHint(file)}`.trimEnd()}`,
      );
    if (e instanceof Error) throw new CommandError(e.message);
    throw e;
  }
}

/** Resolves a path in a config relative to the config file's directory. */
export function configRelative(config: Config): (p: string) => string {
  const dir = dirname(resolve(config.file));
  return (p) => resolve(dir, p);
}

/** The scrape configs named by `-job` (all when unset); an unknown job is a usage error. */
export function selectJobs(config: Config, job: string | undefined): ScrapeConfig[] {
  if (job === undefined) return config.scrapeConfigs;
  const sc = config.scrapeConfigs.find((s) => s.jobName === job);
  if (!sc) {
    const known = config.scrapeConfigs.map((s) => s.jobName).join(', ') || 'none';
    throw new CommandError(`no scrape config has job_name "${job}" (jobs: ${known})`, exitUsage);
  }
  return [sc];
}

/** Parses `name=value,name2=value2`; a value may hold `=`, and `\,` stands for a comma. */
export function parseLabelsArg(text: string, flag: string): LabelSet {
  const out: LabelSet = {};
  const parts = text.split(/(?<!\\),/);
  for (const raw of parts) {
    const part = raw.replace(/\\,/g, ',');
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (eq === -1 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name))
      throw new UsageError(
        `invalid value for flag -${flag}: "${part}" is not name=value with a valid label name`,
      );
    out[name] = part.slice(eq + 1);
  }
  return out;
}

type Paint = (s: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const sgr =
  (code: string): Paint =>
  (s) =>
    `\u001b[${code}m${s}\u001b[0m`;
const plain: Paint = (s) => s;

export function palette(colour: boolean): Palette {
  return colour
    ? { bold: sgr('1'), dim: sgr('2'), red: sgr('31'), green: sgr('32'), yellow: sgr('33'), cyan: sgr('36') }
    : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
}

/** `{a="1", b="2"}`, sorted by name, values quoted as JSON strings. */
export function formatLabelSet(labels: LabelSet): string {
  return `{${Object.keys(labels)
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(', ')}}`;
}

/** Labels in name order, as a fresh object (stable JSON output). */
export function sortedLabels(labels: LabelSet): LabelSet {
  const out: LabelSet = {};
  for (const n of Object.keys(labels).sort()) out[n] = labels[n]!;
  return out;
}

/** The rule as written, indented under a heading. */
export function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}
