// Start-up shared by the benchmarks that run the built agent as its own process (`npm run bench`'s
// scenarios, `npm run bench:kill`): its command line, a config file tailing CRI pod logs, the
// counting receiver of receiver.ts (another process), and stopping the agent.

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shebangNodeFlags } from '../test/support/agent-process.js';
import type { Manifest } from './generate.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CRI log line (`F`ull) of `msg`, timestamped now. */
export const criLine = (msg: string) =>
  `${new Date().toISOString().replace('Z', '123456Z')} stdout F ${msg}\n`;

/**
 * Node flags and arguments of an agent run with `configFile`: the flags of the CLI's shebang (as
 * the installed `logferry` runs), then any of AGENT_NODE_OPTIONS, the CLI, the config.
 */
export function agentArgs(agentPath: string, configFile: string): string[] {
  return [
    ...shebangNodeFlags(agentPath),
    ...(process.env.AGENT_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
    agentPath,
    `-config.file=${configFile}`,
    '-log.level=warn',
  ];
}

/** Starts `node <args>` (see agentArgs), its output on ours. */
export function spawnAgent(args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], ...(env ? { env } : {}) });
}

/** Resolves once `p` has exited (at once if it has). */
export function exited(p: ChildProcess): Promise<void> {
  return new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
}

/** Sends `signal` (SIGTERM by default) and waits for the exit. */
export async function stopAgent(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  p.kill(signal);
  await exited(p);
}

export interface PodsConfig {
  /** The run's work directory: the config and positions files go there. */
  work: string;
  /** Push URL of the receiver. */
  url: string;
  /** `__path__` glob of the log files. */
  path: string;
  /** The `job` label. */
  job: string;
  /** YAML of the pipeline_stages list items, indented by 6. */
  stages: string;
  /** Top-level YAML lines after `positions:` (e.g. `wal:`). */
  extra?: string[];
}

/** Writes the config of one static `pods` job tailing `path` (server on 127.0.0.1:0) and returns its path. */
export function writePodsConfig(c: PodsConfig): string {
  const configFile = join(c.work, 'config.yaml');
  writeFileSync(
    configFile,
    [
      'server:',
      '  http_listen_address: 127.0.0.1',
      '  http_listen_port: 0',
      'positions:',
      `  filename: ${join(c.work, 'positions.yaml')}`,
      ...(c.extra ?? []),
      'clients:',
      `  - url: ${c.url}`,
      'scrape_configs:',
      '  - job_name: pods',
      '    static_configs:',
      '      - targets: [localhost]',
      '        labels:',
      `          job: ${c.job}`,
      `          __path__: ${c.path}`,
      '    pipeline_stages:',
      c.stages,
      '',
    ].join('\n'),
  );
  return configFile;
}

/** What the counting receiver has seen: generated entries by file and seq. */
export interface ReceiverStats {
  entries: number;
  duplicates: number;
  unknown: number;
  /** Expected entries not received yet. */
  missing: number;
  firstEntryAt: number;
  lastEntryAt: number;
}

export interface BenchReceiver {
  process: ChildProcess;
  /** Its push URL. */
  url: string;
  stats(): Promise<ReceiverStats>;
}

/** Starts receiver.ts in its own process, expecting the entries of `manifest`. */
export async function startReceiver(manifest: Manifest): Promise<BenchReceiver> {
  const receiver = fork(new URL('./receiver.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    receiver.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)),
  );
  receiver.send({ type: 'expect', files: manifest.files });
  return {
    process: receiver,
    url: `http://127.0.0.1:${port}/loki/api/v1/push`,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type: string } & ReceiverStats) => {
          if (m.type !== 'stats') return;
          receiver.off('message', onMessage);
          resolve(m);
        };
        receiver.on('message', onMessage);
        receiver.send({ type: 'stats' });
      }),
  };
}
