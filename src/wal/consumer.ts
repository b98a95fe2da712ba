// Where entries go when the disk buffer is on: the pipelines' entries are appended to the
// buffer (WalAppender), and each client is fed from its own reader (feedClient). Built by
// src/wiring.ts in place of the client fan-out; `start` opens the buffer before any target reads.

import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Entry } from '../types.js';
import type { WalConfig } from './config.js';
import { type ClientFeed, feedClient, WalAppender } from './feed.js';
import { createWalMetrics } from './metrics.js';
import { Wal } from './wal.js';

/** What the buffer needs of a client (LokiClient has it). */
export interface BufferedClient {
  send(entry: Entry): void;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * The name a client's cursor is kept under: its `name`, else a hash of its URL and tenant (a URL
 * may carry credentials, which must not end up in a file name).
 */
export function walClientName(client: { name?: string; url: string; tenantId?: string }): string {
  if (client.name) return client.name;
  const hash = createHash('sha256')
    .update(`${client.url}\n${client.tenantId ?? ''}`)
    .digest('hex');
  return `url-${hash.slice(0, 12)}`;
}

export interface WalConsumer {
  start(): Promise<void>;
  send(entry: Entry): void;
  stop(deadlineMs: number): Promise<void>;
}

export function walConsumer(
  config: WalConfig,
  clients: { name: string; client: BufferedClient }[],
  options: { registry: Registry; logger: Logger },
): WalConsumer {
  let wal: Wal | undefined;
  let appender: WalAppender | undefined;
  let feeds: ClientFeed[] = [];
  return {
    async start() {
      wal = await Wal.open({
        dir: config.dir,
        clients: clients.map((c) => c.name),
        maxSize: config.maxSize,
        fullPolicy: config.fullPolicy,
        metrics: createWalMetrics(options.registry),
        logger: options.logger,
      });
      appender = new WalAppender(wal, { logger: options.logger });
      const opened = wal;
      // A few batches per client: more would only hold memory (the buffer is the backlog).
      feeds = clients.map(({ name, client }) =>
        feedClient(opened.reader(name), (entry) => client.send(entry), { maxInFlightBytes: 4 * 1024 * 1024 }),
      );
      options.logger.info('disk buffer open', {
        dir: config.dir,
        buffered_bytes: wal.stats().bufferedBytes,
        max_size: config.maxSize,
        full_policy: config.fullPolicy,
      });
    },
    send(entry) {
      if (!appender) throw new Error('the disk buffer is not open');
      appender.send(entry);
    },
    /**
     * Makes what is read durable (so positions advance over it), stops reading the buffer, gives
     * the clients what is left of the deadline to send what they hold, then closes the buffer.
     * What is not acknowledged by then is sent after the next start.
     */
    async stop(deadlineMs) {
      const started = Date.now();
      await appender?.stop(deadlineMs / 2);
      await Promise.all(feeds.map((f) => f.stop()));
      const rest = Math.max(0, deadlineMs - (Date.now() - started));
      await Promise.all(clients.map(({ client }) => client.stop(rest)));
      await wal?.close();
    },
  };
}
