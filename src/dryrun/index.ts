// The dry-run subcommands: `logferry targets`, `logferry pipeline`, `logferry test`. Each sees
// what a config does before it is deployed and sends nothing. Exit codes: 0 ok, 1 invalid
// config or failed check (the message says where), 2 usage error.

import { type FlagSpec, UsageError, usage } from '../flags.js';
import { CommandError, type CommandIO, exitFailed, exitUsage, processIO } from './common.js';
import { pipelineFlags, runPipeline } from './pipeline.js';
import { runTargets, targetsFlags } from './targets.js';
import { runTests, testFlags } from './test.js';

export const subcommands = ['targets', 'pipeline', 'test'] as const;
export type Subcommand = (typeof subcommands)[number];

export function isSubcommand(name: string | undefined): name is Subcommand {
  return (subcommands as readonly string[]).includes(name ?? '');
}

const commands: Record<
  Subcommand,
  {
    run(argv: readonly string[], io: CommandIO): Promise<number>;
    flags: readonly FlagSpec[];
    synopsis: string;
  }
> = {
  targets: {
    run: runTargets,
    flags: targetsFlags,
    synopsis: 'logferry targets [flags]: discover and relabel once; print the targets and the dropped ones',
  },
  pipeline: {
    run: runPipeline,
    flags: pipelineFlags,
    synopsis: "logferry pipeline [flags] [FILE]: run sample lines (FILE or stdin) through a job's pipeline",
  },
  test: {
    run: runTests,
    flags: testFlags,
    synopsis: 'logferry test [flags] FILE...: run config unit tests (targets and pipeline cases)',
  },
};

/** Runs a subcommand; resolves with the exit code. */
export async function runSubcommand(
  name: Subcommand,
  argv: readonly string[],
  io: CommandIO = processIO(),
): Promise<number> {
  const command = commands[name];
  if (argv.some((a) => a === '-h' || a === '--help' || a === '-help')) {
    io.stdout.write(`${command.synopsis}\n\n${usage(`logferry ${name}`, command.flags)}`);
    return 0;
  }
  try {
    return await command.run(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `error: ${e.message}\n\n${command.synopsis}\n${usage(`logferry ${name}`, command.flags)}`,
      );
      return exitUsage;
    }
    if (e instanceof CommandError) {
      io.stderr.write(`error: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof Error && e.name === 'ConfigError') {
      io.stderr.write(`error: invalid config: ${e.message}\n`);
      return exitFailed;
    }
    throw e;
  }
}
