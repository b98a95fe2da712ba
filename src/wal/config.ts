// The `wal:` block: Promtail's keys (`enabled`, `dir`, `cleanSegmentsOlderThan`, `watchConfig`)
// plus logferry's `max_size` and `full_policy`, parsed through a ConfigNode so every error
// names the file, line and key.

import type { ConfigNode } from '../config/reader.js';

/** What to do when the buffer holds `max_size` bytes and more entries arrive. */
export type WalFullPolicy = 'block' | 'drop_oldest';

export interface WalConfig {
  enabled: boolean;
  /** Directory of the segments and cursors; required when enabled. */
  dir: string;
  /** Bytes on disk (segments) the buffer may hold. */
  maxSize: number;
  fullPolicy: WalFullPolicy;
}

/** 1 GiB: about 8 minutes of a 2 MB/s node, on the host path next to the positions file. */
export const defaultWalMaxSize = 1024 ** 3;

/** Smallest `max_size` accepted: room for a few segments of the smallest size. */
export const minWalMaxSize = 4 * 1024 * 1024;

export const walFullPolicies: readonly WalFullPolicy[] = ['block', 'drop_oldest'];

const walKeys = ['enabled', 'dir', 'max_size', 'full_policy', 'cleanSegmentsOlderThan', 'watchConfig'];
const watchConfigKeys = ['minReadFrequency', 'maxReadFrequency', 'drainTimeout'];

export const defaultWalConfig: WalConfig = {
  enabled: false,
  dir: '',
  maxSize: defaultWalMaxSize,
  fullPolicy: 'block',
};

/**
 * Parses the top-level `wal:` block (a missing block is the disabled default).
 *
 * Promtail's `cleanSegmentsOlderThan` (delete segments after an age, shipped or not) and
 * `watchConfig` (poll intervals of its WAL readers) are accepted and checked, but do nothing:
 * logferry deletes a segment once every client acknowledged it, and readers are woken by each
 * append rather than polling.
 */
export function parseWalConfig(node: ConfigNode): WalConfig {
  node.expectKeys(walKeys);
  const enabled = node.get('enabled').boolean(false);
  const dir = node.get('dir').string('');
  if (enabled && dir.trim() === '') node.failKey('enabled', 'needs `dir`: the directory of the disk buffer');
  const sizeNode = node.get('max_size');
  const maxSize = sizeNode.byteSize(defaultWalMaxSize);
  if (maxSize < minWalMaxSize) sizeNode.fail(`must be at least 4MiB, got ${maxSize} bytes`);
  const fullPolicy = node.get('full_policy').oneOf(walFullPolicies, 'block');
  const age = node.get('cleanSegmentsOlderThan');
  if (age.duration(0) < 0) age.fail('must not be negative');
  const watch = node.get('watchConfig').expectKeys(watchConfigKeys);
  for (const key of watchConfigKeys) {
    const value = watch.get(key);
    if (value.duration(0) < 0) value.fail('must not be negative');
  }
  return { enabled, dir, maxSize, fullPolicy };
}
