// A parsed syslog message, whichever format it came in, and the names Promtail gives its
// priority parts (go-syslog's SeverityLevel and FacilityLevel).

/** The fields of one message; an absent field was `-` (NILVALUE) or missing. */
export interface SyslogMessage {
  priority: number;
  version: number;
  /** Unix nanoseconds of the message's own timestamp. */
  timestamp?: bigint;
  /** The timestamp as go-syslog prints it back (RFC 3339, microseconds, trailing zeros cut). */
  timestampText?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  /** SD-ID → (PARAM-NAME → unescaped value), in the order they came. */
  structuredData?: Map<string, Map<string, string>>;
  /** Absent when the message has no MSG part or an empty one (Promtail counts it as empty). */
  message?: string;
}

/** The outcome of parsing one frame: the message, or why it is not one. */
export type ParseResult = SyslogMessage | string;

const severityLevels = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
];

const facilityKeywords: Record<number, string> = {
  0: 'kern',
  1: 'user',
  2: 'mail',
  3: 'daemon',
  4: 'auth',
  5: 'syslog',
  6: 'lpr',
  7: 'news',
  8: 'uucp',
  10: 'authpriv',
  11: 'ftp',
  15: 'cron',
  16: 'local0',
  17: 'local1',
  18: 'local2',
  19: 'local3',
  20: 'local4',
  21: 'local5',
  22: 'local6',
  23: 'local7',
};

// go-syslog falls back to the facility's description where syslog(3) has no keyword.
const facilityMessages: Record<number, string> = {
  9: 'clock daemon',
  12: 'NTP subsystem',
  13: 'log audit',
  14: 'log alert',
};

export function severityLevel(priority: number): string {
  return severityLevels[priority & 7]!;
}

export function facilityLevel(priority: number): string {
  const f = priority >> 3;
  return facilityKeywords[f] ?? facilityMessages[f]!;
}
