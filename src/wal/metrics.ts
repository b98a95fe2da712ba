// Metrics of the disk buffer, registered on the agent's registry (or a test's own).

import { Counter, Gauge, type Registry } from 'prom-client';

const created = new WeakMap<Registry, WalMetrics>();

/**
 * The buffer's metrics on `registry`, created on the first call and returned again after (a
 * reload opens the buffer again; prom-client refuses to register a name twice).
 */
export function createWalMetrics(registry: Registry): WalMetrics {
  let metrics = created.get(registry);
  if (!metrics) {
    metrics = defineWalMetrics(registry);
    created.set(registry, metrics);
  }
  return metrics;
}

function defineWalMetrics(registry: Registry) {
  const registers = [registry];
  return {
    bufferedBytes: new Gauge({
      name: 'logferry_wal_buffered_bytes',
      help: 'Bytes of segment files the disk buffer holds.',
      registers,
    }),
    segments: new Gauge({
      name: 'logferry_wal_segments',
      help: 'Number of segment files the disk buffer holds.',
      registers,
    }),
    full: new Gauge({
      name: 'logferry_wal_full',
      help: '1 while the disk buffer holds max_size bytes and appends wait (full_policy: block).',
      registers,
    }),
    appendedEntries: new Counter({
      name: 'logferry_wal_appended_entries_total',
      help: 'Entries made durable in the disk buffer.',
      registers,
    }),
    appendedBytes: new Counter({
      name: 'logferry_wal_appended_bytes_total',
      help: 'Bytes of records made durable in the disk buffer.',
      registers,
    }),
    fsyncs: new Counter({
      name: 'logferry_wal_fsyncs_total',
      help: 'fsync calls of the disk buffer (one per group of appended batches).',
      registers,
    }),
    ackedEntries: new Counter({
      name: 'logferry_wal_acked_entries_total',
      help: 'Entries a client read from the disk buffer and acknowledged.',
      labelNames: ['client'],
      registers,
    }),
    droppedEntries: new Counter({
      name: 'logferry_wal_dropped_entries_total',
      help: 'Entries removed from the disk buffer before a client read them (full_policy: drop_oldest), or refused as too large.',
      labelNames: ['client', 'reason'],
      registers,
    }),
    corruptRecords: new Counter({
      name: 'logferry_wal_corrupt_records_total',
      help: 'Torn or corrupt records found in the disk buffer (each cuts off the rest of its segment).',
      registers,
    }),
    corruptBytes: new Counter({
      name: 'logferry_wal_corrupt_bytes_total',
      help: 'Bytes of the disk buffer skipped or truncated because of a torn or corrupt record.',
      registers,
    }),
  };
}

export type WalMetrics = ReturnType<typeof defineWalMetrics>;
