// Every flag of Promtail's `-help` (2.9 and 3.x: Promtail's own, its config blocks', dskit's
// server and log flags), with Promtail's defaults, grouped as `-help` shows them. A flag that
// changes nothing in logferry (gRPC, keepalive, request logging, tracing) is accepted so that
// unit files and Helm `extraArgs` written for Promtail start, and says why in `noEffect`.

/** A command-line flag: its name without dashes, type, default and help. */
export interface FlagSpec {
  name: string;
  /** `duration` values are Go durations (`1m30s`), checked when parsed and kept as text. */
  kind: 'string' | 'boolean' | 'number' | 'duration';
  default: string | boolean | number;
  help: string;
  /** The heading -help lists it under. */
  group?: string;
  /** Why the flag changes nothing in logferry (accepted because Promtail has it). */
  noEffect?: string;
  /** Promtail versions whose -help has it: both 2.9 and 3.x, or 3.x only. */
  promtail?: 'both' | '3.x';
  /** The type word -help shows when it is not the kind's (Go's `float`, `uint`, `value`). */
  goType?: string;
}

type Kind = FlagSpec['kind'];
type Row = [
  name: string,
  kind: Kind,
  def: string | number | boolean,
  help: string,
  extra?: Partial<FlagSpec>,
];

/** Go's time.Duration(math.MaxInt64), dskit's "infinity" default, as Go prints it. */
const infinity = '2562047h47m16.854775807s';
const noGrpc = 'logferry has no gRPC server';
const nodeHttp = "Node's HTTP server defaults apply";
const noRequestLog = 'logferry does not log or trace HTTP requests';
const noTracing = 'logferry has no tracing';
/** Flags Promtail 2.9 does not have (3.x only); the others are in both. */
const v3: Partial<FlagSpec> = { promtail: '3.x' };

function group(name: string, rows: Row[], common: Partial<FlagSpec> = {}): FlagSpec[] {
  return rows.map(([n, kind, def, help, extra]) => ({
    name: n,
    kind,
    default: def,
    help,
    group: name,
    promtail: 'both',
    ...common,
    ...extra,
  }));
}

export const promtailFlagSpecs: readonly FlagSpec[] = [
  ...group('Config and modes', [
    ['config.file', 'string', 'config.yml', 'YAML file to load.'],
    [
      'config.expand-env',
      'boolean',
      false,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the help shows the syntax users write
      'Expand ${VAR} and ${VAR:-default} in the config file before parsing it.',
    ],
    [
      'check-syntax',
      'boolean',
      false,
      'Validate the config file and exit (0 when valid, 1 when not); warnings are printed.',
      v3,
    ],
    [
      'config.strict',
      'boolean',
      false,
      'logferry only: refuse what Promtail would silently ignore (an unknown key in a stage): warnings become errors.',
      { promtail: undefined },
    ],
    [
      'dry-run',
      'boolean',
      false,
      'Print entries to stdout instead of sending them to Loki; write no positions.',
    ],
    ['inspect', 'boolean', false, 'Show what each pipeline stage changes (with -dry-run to send nothing).'],
    [
      'print-config-stderr',
      'boolean',
      false,
      'Dump the effective config (secrets hidden) to stderr at start.',
    ],
    [
      'log-config-reverse-order',
      'boolean',
      false,
      'Log the effective config at info level, one line per log entry, last line first (reads top to bottom in Grafana).',
    ],
    [
      'stdin',
      'boolean',
      false,
      "Read lines from standard input through the first scrape config's pipeline, then exit.",
    ],
    ['version', 'boolean', false, 'Print the version and exit.'],
  ]),
  ...group('Client (the deprecated client: block; -client.url adds it next to clients:)', [
    [
      'client.url',
      'string',
      '',
      'URL of the Loki push API. A URL that a clients: entry already has sets that client.',
    ],
    ['client.tenant-id', 'string', '', 'Tenant ID (X-Scope-OrgID) to push with.'],
    ['client.batch-wait', 'duration', '1s', 'Longest wait before a batch is sent.'],
    ['client.batch-size-bytes', 'number', 1048576, 'Batch size in bytes at which a batch is sent.'],
    ['client.timeout', 'duration', '10s', 'Longest wait for Loki to answer a push.'],
    ['client.max-retries', 'number', 10, 'Retries of a batch before it is dropped (0: for ever).'],
    ['client.min-backoff', 'duration', '500ms', 'First wait between retries.'],
    ['client.max-backoff', 'duration', '5m', 'Longest wait between retries.'],
    [
      'client.external-labels',
      'string',
      '',
      'Labels added to every stream of every client: name=value,name2=value2 (a client’s own labels win).',
    ],
    [
      'client.drop-rate-limited-batches',
      'boolean',
      false,
      'Drop batches Loki answers 429 instead of retrying.',
    ],
  ]),
  ...group('Positions', [
    ['positions.file', 'string', '/var/log/positions.yaml', 'Positions file.'],
    ['positions.sync-period', 'duration', '10s', 'Longest time between two writes of the positions file.'],
    [
      'positions.ignore-invalid-yaml',
      'boolean',
      false,
      'Start afresh (and later overwrite) when the positions file is corrupt.',
    ],
  ]),
  ...group('Targets and file watching', [
    ['target.sync-period', 'duration', '10s', 'Period to rescan the directories of file targets.'],
    ['file-watch.min_poll_frequency', 'duration', '250ms', 'Shortest period to poll a file for changes.'],
    ['file-watch.max_poll_frequency', 'duration', '250ms', 'Longest period to poll a file for changes.'],
  ]),
  ...group('Limits', [
    [
      'limit.readline-rate',
      'number',
      10000,
      'Lines per second this agent may push (with -limit.readline-rate-enabled).',
      { goType: 'float' },
    ],
    ['limit.readline-burst', 'number', 10000, 'Burst of lines above the rate.'],
    ['limit.readline-rate-enabled', 'boolean', false, 'Enforce -limit.readline-rate.'],
    ['limit.readline-rate-drop', 'boolean', true, 'Drop lines over the rate (false: wait).'],
    ['max-streams', 'number', 0, 'Most active streams (0: no limit).'],
    ['max-line-size', 'string', '0', 'Largest line in bytes (256kb, 2MB; 0: no limit).'],
    [
      'max-line-size-truncate',
      'boolean',
      false,
      'Truncate longer lines to -max-line-size instead of dropping them.',
    ],
  ]),
  ...group('HTTP server', [
    ['server.http-listen-address', 'string', '', 'HTTP server listen address (empty: every interface).'],
    [
      'server.http-listen-port',
      'number',
      9080,
      "HTTP server listen port (0: any free port). Promtail's built-in default is 80; logferry uses 9080, the port of every Promtail example.",
    ],
    ['server.path-prefix', 'string', '', 'Serve every endpoint under this path (e.g. /promtail/).'],
    ['server.disable', 'boolean', false, 'Run without the HTTP server.'],
    [
      'server.enable-runtime-reload',
      'boolean',
      false,
      'Allow reloading the config with GET or POST /reload.',
    ],
    ['server.register-instrumentation', 'boolean', true, 'Serve /metrics.'],
    [
      'server.graceful-shutdown-timeout',
      'duration',
      '30s',
      'Longest time to send what was read when stopping.',
    ],
    [
      'server.http-tls-cert-path',
      'string',
      '',
      'Certificate file: serve HTTPS (with -server.http-tls-key-path).',
    ],
    ['server.http-tls-key-path', 'string', '', 'Key file of -server.http-tls-cert-path.'],
    [
      'server.http-tls-client-auth',
      'string',
      '',
      'Client certificates: NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert.',
    ],
    ['server.http-tls-ca-path', 'string', '', 'CA file that client certificates are verified against.'],
    [
      'server.tls-min-version',
      'string',
      '',
      'Lowest TLS version of the HTTPS server: VersionTLS12 or VersionTLS13.',
    ],
    [
      'server.profiling_enabled',
      'boolean',
      false,
      'Enable /debug/pprof endpoints.',
      { noEffect: 'logferry has no pprof endpoints' },
    ],
  ]),
  ...group(
    'HTTP server details',
    [
      ['server.http-listen-network', 'string', 'tcp', 'HTTP server listen network.'],
      ['server.http-conn-limit', 'number', 0, 'Most simultaneous HTTP connections (<=0: no limit).'],
      ['server.tls-cipher-suites', 'string', '', "Go cipher suite names (Node's TLS defaults apply)."],
      ['server.http-read-timeout', 'duration', '30s', 'Read timeout for a whole HTTP request.'],
      ['server.http-read-header-timeout', 'duration', '0s', 'Read timeout for HTTP request headers.'],
      ['server.http-write-timeout', 'duration', '30s', 'Write timeout for HTTP responses.'],
      ['server.http-idle-timeout', 'duration', '2m0s', 'Idle timeout for HTTP connections.'],
      [
        'server.http-log-closed-connections-without-response-enabled',
        'boolean',
        false,
        'Log connections closed without a response.',
        { ...v3, noEffect: noRequestLog },
      ],
      [
        'server.proxy-protocol-enabled',
        'boolean',
        false,
        'Accept the PROXY protocol.',
        { ...v3, noEffect: 'logferry does not speak the PROXY protocol' },
      ],
      [
        'server.log-source-ips-enabled',
        'boolean',
        false,
        'Log the source IPs of requests.',
        { noEffect: noRequestLog },
      ],
      [
        'server.log-source-ips-full',
        'boolean',
        false,
        'Log all source IPs.',
        { ...v3, noEffect: noRequestLog },
      ],
      [
        'server.log-source-ips-header',
        'string',
        '',
        'Header holding the source IPs.',
        { noEffect: noRequestLog },
      ],
      [
        'server.log-source-ips-regex',
        'string',
        '',
        'Regex matching the source IPs.',
        { noEffect: noRequestLog },
      ],
      ['server.log-request-headers', 'boolean', false, 'Log request headers.', { noEffect: noRequestLog }],
      [
        'server.log-request-headers-exclude-list',
        'string',
        '',
        'Headers not logged.',
        { noEffect: noRequestLog },
      ],
      [
        'server.log-request-at-info-level-enabled',
        'boolean',
        false,
        'Log requests at info level.',
        { noEffect: noRequestLog },
      ],
      [
        'server.trace-request-headers',
        'boolean',
        false,
        'Add request headers to tracing spans.',
        { ...v3, noEffect: noTracing },
      ],
      [
        'server.trace-request-headers-exclude-list',
        'string',
        '',
        'Headers not traced.',
        { ...v3, noEffect: noTracing },
      ],
      [
        'server.create-new-traces',
        'boolean',
        false,
        'Start a new trace per call.',
        { ...v3, noEffect: noTracing },
      ],
      [
        'server.throughput.latency-cutoff',
        'duration',
        '0s',
        'Requests slower than this measure throughput.',
        { ...v3, noEffect: noRequestLog },
      ],
      [
        'server.throughput.unit',
        'string',
        'samples_processed',
        'Unit of the throughput metric.',
        { ...v3, noEffect: noRequestLog },
      ],
      [
        'server.enable-open-metrics-text-created-samples',
        'boolean',
        false,
        'Emit _created samples over OpenMetrics.',
        { ...v3, noEffect: 'logferry serves the Prometheus text format' },
      ],
      [
        'server.report-grpc-codes-in-instrumentation-label-enabled',
        'boolean',
        false,
        'Report gRPC status codes in metric labels.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.label',
        'string',
        '',
        'Cluster validation label.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.additional-labels',
        'string',
        '',
        'More cluster validation labels.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.grpc.enabled',
        'boolean',
        false,
        'Validate the cluster label of gRPC calls.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.grpc.soft-validation',
        'boolean',
        false,
        'Soft validation for gRPC.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.http.enabled',
        'boolean',
        false,
        'Validate the cluster label of HTTP requests.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.http.soft-validation',
        'boolean',
        false,
        'Soft validation for HTTP.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.http.excluded-paths',
        'string',
        '',
        'Paths not validated.',
        { ...v3, noEffect: noGrpc },
      ],
      [
        'server.cluster-validation.http.excluded-user-agents',
        'string',
        '',
        'User agents not validated.',
        { ...v3, noEffect: noGrpc },
      ],
    ],
    { noEffect: nodeHttp },
  ),
  ...group(
    'gRPC server',
    [
      ['server.grpc-listen-network', 'string', 'tcp', 'gRPC server listen network.'],
      ['server.grpc-listen-address', 'string', '', 'gRPC server listen address.'],
      ['server.grpc-listen-port', 'number', 9095, 'gRPC server listen port.'],
      ['server.grpc-conn-limit', 'number', 0, 'Most simultaneous gRPC connections.'],
      [
        'server.grpc-collect-max-streams-by-conn',
        'boolean',
        true,
        'Collect the max streams by connection gauge.',
        v3,
      ],
      ['server.grpc-tls-cert-path', 'string', '', 'gRPC TLS server cert path.'],
      ['server.grpc-tls-key-path', 'string', '', 'gRPC TLS server key path.'],
      ['server.grpc-tls-client-auth', 'string', '', 'gRPC TLS client auth type.'],
      ['server.grpc-tls-ca-path', 'string', '', 'gRPC TLS client CA path.'],
      ['server.grpc-max-recv-msg-size-bytes', 'number', 4194304, 'Largest gRPC message received.'],
      ['server.grpc-max-send-msg-size-bytes', 'number', 4194304, 'Largest gRPC message sent.'],
      [
        'server.grpc-max-concurrent-streams',
        'number',
        100,
        'Concurrent gRPC streams per connection.',
        { goType: 'uint' },
      ],
      [
        'server.grpc.keepalive.max-connection-idle',
        'duration',
        infinity,
        'Idle time before a connection is closed.',
      ],
      ['server.grpc.keepalive.max-connection-age', 'duration', infinity, 'Longest life of a connection.'],
      [
        'server.grpc.keepalive.max-connection-age-grace',
        'duration',
        infinity,
        'Grace after max-connection-age.',
      ],
      ['server.grpc.keepalive.time', 'duration', '2h0m0s', 'Idle time before a keepalive probe.'],
      ['server.grpc.keepalive.timeout', 'duration', '20s', 'Wait for a keepalive answer.'],
      [
        'server.grpc.keepalive.min-time-between-pings',
        'duration',
        '5m0s',
        'Shortest time between client pings.',
      ],
      [
        'server.grpc.keepalive.ping-without-stream-allowed',
        'boolean',
        false,
        'Allow pings without active streams.',
      ],
      ['server.grpc.stats-tracking-enabled', 'boolean', true, 'Track gRPC message size metrics.', v3],
      [
        'server.grpc.recv-buffer-pools-enabled',
        'boolean',
        false,
        'Deprecated; no effect in Promtail either.',
        v3,
      ],
      ['server.grpc.num-workers', 'number', 0, 'gRPC server workers.', v3],
      ['server.grpc.read-buffer-size-bytes', 'number', 32768, 'Read buffer per gRPC connection.', v3],
      ['server.grpc.write-buffer-size-bytes', 'number', 32768, 'Write buffer per gRPC connection.', v3],
    ],
    { noEffect: noGrpc },
  ),
  ...group('Logging', [
    ['log.level', 'string', 'info', 'Only log messages of this severity or above: debug, info, warn, error.'],
    ['log.format', 'string', 'logfmt', 'Log format: logfmt or json.'],
  ]),
  ...group(
    'Tracing',
    [
      ['tracing.enabled', 'boolean', true, 'Enable Jaeger tracing (from JAEGER_* variables in Promtail).'],
      ['tracing.profiling-enabled', 'boolean', true, 'Profiling integration of tracing.', v3],
    ],
    { noEffect: noTracing },
  ),
];
