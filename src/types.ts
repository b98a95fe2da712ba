// The plain data that flows between the steps of logferry (see docs/architecture.md).
// Every step imports these; none defines its own variant.

/** Label name → value. Once an object is shared (between entries, targets), it is never mutated: copy it first. */
export type LabelSet = Record<string, string>;

/** What a discovery mechanism produces, exactly as Prometheus service discovery does. */
export interface TargetGroup {
  /** Unique within its discoverer: a group with the same source replaces the previous one. */
  source: string;
  /** One label set per target, carrying `__meta_*`, `__address__`, `__path__`, ... */
  targets: LabelSet[];
  /** Labels common to every target of the group (a target's own label wins). */
  labels: LabelSet;
}

/**
 * Tracks one entry back to the file position it was read from, so positions advance only
 * over entries that are delivered or dropped on purpose.
 *
 * Every holder of the entry releases it exactly once: a client when Loki acknowledged the
 * batch (or dropped it on purpose), a stage when it drops the entry. A fan-out to n holders
 * calls `retain(n - 1)` first. A stage that folds an entry into an earlier one (cri partial
 * lines, multiline) releases the folded entry's delivery at once and keeps the earlier one's:
 * the position never passes the start of the oldest unreleased entry, so the folded lines
 * stay covered.
 */
export interface Delivery {
  retain(count?: number): void;
  release(): void;
}

/** One log entry, from the tailer through the pipeline to the clients. */
export interface Entry {
  /** May be shared with other entries of the same stream: replace the object to change labels. */
  labels: LabelSet;
  /** Unix time in nanoseconds; never rounded. */
  timestamp: bigint;
  line: string;
  /** Values extracted by pipeline stages (json, regex, logfmt, ...), by name. */
  extracted: Record<string, unknown>;
  /** Loki structured metadata (non-indexed labels), if any. */
  structuredMetadata?: LabelSet;
  /** Absent for entries that need no acknowledgement (stdin, dry-run). */
  delivery?: Delivery;
}

/** Where entries go next. */
export type EntrySink = (entry: Entry) => void;

/** Label names reserved by Promtail that carry instructions rather than stream labels. */
export const ReservedLabels = {
  path: '__path__',
  pathExclude: '__path_exclude__',
  host: '__host__',
  address: '__address__',
  /** Set by the `tenant` stage; the client sends the entry under this tenant and removes the label. */
  tenantId: '__tenant_id__',
  /** Promtail's label for the file an entry was read from. */
  filename: 'filename',
} as const;

// ---- the boundaries between steps -------------------------------------------------------------

/** A discovery mechanism of one scrape config: calls `update` with its target groups. */
export interface Discoverer {
  start(update: (groups: TargetGroup[]) => void): Promise<void>;
  stop(): Promise<void>;
  /** Why discovery cannot see its source now (e.g. the Kubernetes API is unreachable); undefined when it can. For /ready. */
  unhealthy?(): string | undefined;
}

/** A target that will be tailed: its public labels and the files it names. */
export interface FileTarget {
  job: string;
  /** Identity: path glob, exclusion and labels (Promtail's key), so duplicates collapse. */
  key: string;
  /** Labels before relabeling (group labels merged in), for the status pages and dry-run tools. */
  discoveredLabels: LabelSet;
  /** Labels after relabeling, without `__` labels: the stream labels of its entries. */
  labels: LabelSet;
  pathGlob: string;
  pathExclude?: string;
}

/** Why a discovered target is not tailed (Promtail's reasons, shown by /service-discovery and the dry-run tools). */
export type TargetDropReason = 'relabeling' | 'wrong_host' | 'no_path';

/** A target relabeling or Promtail's rules dropped, for /service-discovery. */
export interface DroppedTarget {
  job: string;
  discoveredLabels: LabelSet;
  reason: TargetDropReason;
}

/** One file of a target, for /targets. */
export interface FileStatus {
  path: string;
  /** Bytes read so far. */
  readOffset: number;
  /** Offset saved in positions (delivered or dropped on purpose). */
  position: number;
}

/** A target and its files, for /targets. */
export interface TargetStatus {
  job: string;
  labels: LabelSet;
  discoveredLabels: LabelSet;
  pathGlob: string;
  files: FileStatus[];
  /** Set while the target is gone from discovery but its files are read to their end. */
  draining?: boolean;
}

/** Where entries leave the agent: the Loki clients, or the dry-run printer. */
export interface EntryConsumer {
  /** Prepares what needs I/O (the disk buffer); called before any target reads. */
  start?(): Promise<void>;
  send(entry: Entry): void;
  /** Sends what is queued, within the deadline. */
  stop(deadlineMs: number): Promise<void>;
  /** Why entries cannot leave now (every client failing); undefined when they can. For /ready. */
  unhealthy?(): string | undefined;
}

const wallClockOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/**
 * Current Unix time in nanoseconds, with the monotonic clock's resolution: two identical lines
 * read one after the other get distinct timestamps, so Loki does not deduplicate them.
 */
export function nowNanos(): bigint {
  return wallClockOffset + process.hrtime.bigint();
}
