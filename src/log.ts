// The agent's own logs: one logfmt or JSON line per event on stderr (Promtail's -log.level, -log.format).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (e.g. `{ component: 'client', host }`). */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = rank[options.level ?? 'info'];
  const format = options.format ?? 'logfmt';
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < min) return;
    const record: LogFields = { ts: new Date().toISOString(), level, ...base, msg, ...fields };
    write(format === 'json' ? `${JSON.stringify(record, jsonValue)}\n` : `${logfmt(record)}\n`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    with: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that writes nothing (tests, library use). */
export const silentLogger: Logger = createLogger({ write: () => {} });

function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function logfmt(record: LogFields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const s = v instanceof Error ? v.message : typeof v === 'string' ? v : String(jsonValue(k, v) ?? v);
    parts.push(`${k}=${/^[^\s"=]+$/.test(s) ? s : JSON.stringify(s)}`);
  }
  return parts.join(' ');
}
