// Runs the built CLI (dist/cli.js) as a real process for end-to-end tests: collects its stdout
// and stderr, finds the HTTP port it listens on, waits for log lines, sends real signals.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const cliPath = resolve(import.meta.dirname, '../../dist/cli.js');

/**
 * The node flags of the CLI's `#!/usr/bin/env -S node <flags>` line, as the kernel passes them
 * when the installed `logferry` runs: for spawning `node <flags> <cli>` the same way.
 */
export function shebangNodeFlags(file: string = cliPath): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node (.*)$/.exec(first);
  return m ? m[1]!.split(' ').filter(Boolean) : [];
}

export interface AgentProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first stderr line that matches (the agent logs there), or rejects on exit/timeout. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when stdout matches. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * The HTTP port, from the "server listening" log line, once the agent has started its targets
   * ("agent started"): the server is up before that, while discovery may still wait. With
   * `{ serverOnly: true }`, as soon as the server listens.
   */
  port(timeoutMs?: number, options?: { serverOnly?: boolean }): Promise<number>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * The default limit of the waits below: it only ends a test that is failing, so it is generous;
 * on a loaded 2-core machine an agent can take many seconds to start.
 */
const waitLimitMs = 60_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs a node script to its end (stderr passed through): its exit code and stdout. */
export async function runScript(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  running.delete(child);
  return { code, stdout };
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): AgentProcess {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  // A test file that ends early (a failed assertion, a timeout) must not leave agents running.
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    changed();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? -1);
      changed();
    });
  });

  const waitFor = (read: () => string, pattern: RegExp, timeoutMs: number, what: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(read());
        if (m) {
          done();
          resolve(m[0]);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(
            new Error(
              `process exited before ${what} matched ${pattern}\nstderr:\n${stderr}\nstdout:\n${stdout.slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what} to match ${pattern}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForLog: (pattern, timeoutMs = waitLimitMs) => waitFor(() => stderr, pattern, timeoutMs, 'stderr'),
    waitForStdout: (pattern, timeoutMs = waitLimitMs) => waitFor(() => stdout, pattern, timeoutMs, 'stdout'),
    async port(timeoutMs = waitLimitMs, options: { serverOnly?: boolean } = {}) {
      const line = await waitFor(
        () => stderr,
        /msg="?server listening"? address=\S+:(\d+)/,
        timeoutMs,
        'stderr',
      );
      if (!options.serverOnly) await waitFor(() => stderr, /msg="?agent started"?/, timeoutMs, 'stderr');
      return Number(/:(\d+)$/.exec(line)![1]);
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'logferry-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A `scrape_configs` entry: job `name` over the files of `path` (a glob) with a static `job`
 * label; `lines` (indented as job keys) go right after `job_name`.
 */
export function staticJob(name: string, path: string, lines: string[] = []): string {
  return [
    `  - job_name: ${name}`,
    ...lines,
    '    static_configs:',
    '      - targets: [localhost]',
    '        labels:',
    `          job: ${name}`,
    `          __path__: ${path}`,
  ].join('\n');
}

export interface ConfigParts {
  dir: string;
  lokiUrl?: string;
  /** YAML of the scrape_configs list items, indented by 2. */
  scrapeConfigs: string;
  extra?: string;
  client?: string;
}

/** Writes a config file for a test agent: server on 127.0.0.1:0, positions in `dir`. */
export function writeConfig(parts: ConfigParts): string {
  const file = join(parts.dir, 'config.yaml');
  const lines = [
    'server:',
    '  http_listen_address: 127.0.0.1',
    '  http_listen_port: 0',
    '  enable_runtime_reload: true',
    'positions:',
    `  filename: ${join(parts.dir, 'positions.yaml')}`,
    '  sync_period: 200ms',
  ];
  if (parts.lokiUrl) {
    lines.push('clients:', `  - url: ${parts.lokiUrl}`, '    batchwait: 100ms');
    if (parts.client) lines.push(parts.client);
  }
  if (parts.extra) lines.push(parts.extra);
  lines.push('scrape_configs:', parts.scrapeConfigs, '');
  writeFileSync(file, lines.join('\n'));
  return file;
}
