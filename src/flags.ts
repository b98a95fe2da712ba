// Promtail's command-line flags, parsed the way Go's flag package reads them: one or two
// dashes, `-name=value` or `-name value`, booleans as `-name`, `-name=true|false`.

import { parseDuration } from './config/reader.js';
import { type FlagSpec, promtailFlagSpecs } from './promtail-flags.js';

export type { FlagSpec };

/** The agent's flags: every flag of Promtail's -help. */
export const flagSpecs: readonly FlagSpec[] = promtailFlagSpecs;

export class UsageError extends Error {}

const goTrue = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const goFalse = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

export interface ParsedFlags {
  /** Values of the flags given, by name. */
  values: Map<string, string | boolean | number>;
  /** Arguments that are not flags (subcommand, files). */
  positional: string[];
  help: boolean;
}

/** Value of a flag: the one given, else its default. */
export function flagValue<T extends string | boolean | number>(parsed: ParsedFlags, name: string): T {
  const spec = flagSpecs.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown flag ${name}`);
  return (parsed.values.get(name) ?? spec.default) as T;
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[] = flagSpecs): ParsedFlags {
  const values = new Map<string, string | boolean | number>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    let text: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec.kind === 'boolean') {
      if (text === undefined) {
        values.set(name, true);
        continue;
      }
      // Go's strconv.ParseBool.
      if (goTrue.includes(text)) values.set(name, true);
      else if (goFalse.includes(text)) values.set(name, false);
      else throw new UsageError(`invalid boolean value "${text}" for flag -${name}: parse error`);
      continue;
    }
    if (text === undefined) {
      text = argv[++i];
      if (text === undefined) throw new UsageError(`flag needs an argument: -${name}`);
    }
    if (spec.kind === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n))
        throw new UsageError(`invalid value "${text}" for flag -${name}: not a number`);
      values.set(name, n);
    } else if (spec.kind === 'duration') {
      if (parseDuration(text.trim()) === undefined)
        throw new UsageError(
          `invalid value "${text}" for flag -${name}: parse error (a duration such as 10s, 1m30s)`,
        );
      values.set(name, text.trim());
    } else {
      values.set(name, text);
    }
  }
  return { values, positional, help };
}

/** The -help text: every flag with its default, as Go's flag package prints them, by group. */
export function usage(program: string, specs: readonly FlagSpec[] = flagSpecs): string {
  const lines = [`Usage of ${program}:`];
  if (specs === flagSpecs) {
    lines.push(
      `  ${program} [flags]                 run the agent`,
      `  ${program} targets [flags]         show discovered targets, relabeling and drops (-h for its flags)`,
      `  ${program} pipeline [flags] [FILE] run sample lines through a job's pipeline (-h for its flags)`,
      `  ${program} test [flags] FILE...    run config unit tests (-h for its flags)`,
      '',
      'Flags (one or two dashes; -name=value or -name value). Flags marked "no effect" are',
      'accepted because Promtail has them, and change nothing in logferry.',
    );
  } else {
    lines.push('Flags:');
  }
  let group: string | undefined;
  for (const s of specs) {
    if (s.group !== undefined && s.group !== group) {
      group = s.group;
      lines.push('', `${group}:`);
    }
    const type = s.kind === 'boolean' ? '' : ` ${s.goType ?? (s.kind === 'number' ? 'int' : s.kind)}`;
    lines.push(`  -${s.name}${type}`);
    const def =
      s.kind === 'boolean'
        ? s.default
          ? ' (default true)'
          : ''
        : s.default === '' || s.default === 0 || s.default === '0'
          ? ''
          : ` (default ${s.kind === 'string' ? JSON.stringify(s.default) : String(s.default)})`;
    const none = s.noEffect ? ` [no effect: ${s.noEffect}]` : '';
    lines.push(`    \t${s.help}${def}${none}`);
  }
  return `${lines.join('\n')}\n`;
}
