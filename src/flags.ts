// Promtail's command-line flags, parsed the way Go's flag package reads them: one or two
// dashes, `-name=value` or `-name value`, booleans as `-name`, `-name=true|false`.

export interface FlagSpec {
  name: string;
  kind: 'string' | 'boolean' | 'number';
  default: string | boolean | number;
  help: string;
}

export const flagSpecs: readonly FlagSpec[] = [
  { name: 'config.file', kind: 'string', default: 'config.yml', help: 'YAML file to load.' },
  {
    name: 'config.expand-env',
    kind: 'boolean',
    default: false,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the help shows the syntax users write
    help: 'Expand ${VAR} and ${VAR:-default} in the config file before parsing it.',
  },
  {
    name: 'dry-run',
    kind: 'boolean',
    default: false,
    help: 'Print entries to stdout instead of sending them; write no positions.',
  },
  {
    name: 'inspect',
    kind: 'boolean',
    default: false,
    help: 'With -dry-run: show what each pipeline stage changes.',
  },
  {
    name: 'check-syntax',
    kind: 'boolean',
    default: false,
    help: 'Validate the config file and exit (0 when valid, 1 when not); warnings are printed.',
  },
  {
    name: 'config.strict',
    kind: 'boolean',
    default: false,
    help: 'Refuse what Promtail would silently ignore (an unknown key in a stage): warnings become errors.',
  },
  {
    name: 'print-config-stderr',
    kind: 'boolean',
    default: false,
    help: 'Print the effective config (secrets hidden) to stderr at start.',
  },
  {
    name: 'log-config-reverse-order',
    kind: 'boolean',
    default: false,
    help: 'Like -print-config-stderr (accepted for Promtail compatibility).',
  },
  { name: 'version', kind: 'boolean', default: false, help: 'Print the version and exit.' },
  {
    name: 'stdin',
    kind: 'boolean',
    default: false,
    help: "Read lines from standard input instead of the scrape targets (first scrape config's pipeline).",
  },
  {
    name: 'client.url',
    kind: 'string',
    default: '',
    help: 'Loki push URL: adds a client next to those of the config file (or sets the url of its client: block).',
  },
  {
    name: 'client.tenant-id',
    kind: 'string',
    default: '',
    help: 'Tenant ID (X-Scope-OrgID) of the -client.url / client: client.',
  },
  {
    name: 'client.external-labels',
    kind: 'string',
    default: '',
    help: 'Labels added to the streams of every client: name=value,name2=value2.',
  },
  {
    name: 'client.batch-wait',
    kind: 'string',
    default: '1s',
    help: 'Longest time a batch of the -client.url / client: client waits before it is sent.',
  },
  {
    name: 'client.batch-size-bytes',
    kind: 'number',
    default: 1048576,
    help: 'Largest batch size in bytes of the -client.url / client: client.',
  },
  { name: 'positions.file', kind: 'string', default: '/var/log/positions.yaml', help: 'Positions file.' },
  {
    name: 'server.http-listen-address',
    kind: 'string',
    default: '',
    help: 'HTTP server address (empty: all interfaces).',
  },
  {
    name: 'server.http-listen-port',
    kind: 'number',
    default: 9080,
    help: 'HTTP server port (0: any free port).',
  },
  { name: 'log.level', kind: 'string', default: 'info', help: 'Log level: debug, info, warn, error.' },
  { name: 'log.format', kind: 'string', default: 'logfmt', help: 'Log format: logfmt or json.' },
];

export class UsageError extends Error {}

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
      if (!['true', 'false', '1', '0'].includes(text)) {
        throw new UsageError(`invalid boolean value "${text}" for flag -${name}`);
      }
      values.set(name, text === 'true' || text === '1');
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
    } else {
      values.set(name, text);
    }
  }
  return { values, positional, help };
}

/** The -help text: every flag with its default, as Go's flag package prints them. */
export function usage(program: string, specs: readonly FlagSpec[] = flagSpecs): string {
  const lines = [
    `Usage of ${program}:`,
    `  ${program} [flags]                 run the agent`,
    `  ${program} targets [flags]         show discovered targets, relabeling and drops (-h for its flags)`,
    `  ${program} pipeline [flags] [FILE] run sample lines through a job's pipeline`,
    `  ${program} test FILE...            run config unit tests`,
    'Flags:',
  ];
  for (const s of specs) {
    const type = s.kind === 'boolean' ? '' : s.kind === 'number' ? ' int' : ' string';
    lines.push(`  -${s.name}${type}`);
    const def =
      s.kind === 'boolean'
        ? s.default
          ? ' (default true)'
          : ''
        : s.default === ''
          ? ''
          : ` (default ${JSON.stringify(s.default)})`;
    lines.push(`    \t${s.help}${def}`);
  }
  return `${lines.join('\n')}\n`;
}
