// The disk buffer (`wal:` block): what the rest of logferry imports from src/wal/.

export { defaultWalConfig, parseWalConfig, type WalConfig, type WalFullPolicy } from './config.js';
export { type BufferedClient, type WalConsumer, walClientName, walConsumer } from './consumer.js';
export type { WalPosition } from './cursor.js';
export { ClientFeed, type FeedOptions, feedClient, WalAppender, type WalAppenderOptions } from './feed.js';
export { createWalMetrics, type WalMetrics } from './metrics.js';
export type { ReadLimits, WalBatch, WalReader } from './reader.js';
export { Wal, type WalOptions, type WalStats } from './wal.js';
