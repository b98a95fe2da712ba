// Sends every entry to every configured client (Promtail's `clients:` list). Each client keeps
// its own queue and sends on its own, so a slow Loki does not delay the requests to a healthy
// one. But an entry's delivery is released only when every client is done with it, and reading
// pauses on the agent's shared in-flight budget: while one Loki is down, its unacknowledged
// entries fill that budget and every tailer pauses, so the healthy Loki receives nothing new
// either. With the disk buffer (`wal.enabled`, src/wal) the fan-out is not used: entries are
// released once written to disk and each client reads the buffer at its own pace.

import type { Entry } from '../types.js';
import type { LokiClient } from './client.js';

export class ClientFanout {
  constructor(readonly clients: readonly LokiClient[]) {
    if (clients.length === 0) throw new Error('clients: at least one client is required');
  }

  /** Hands the entry to every client; its delivery is released once per client. */
  send(entry: Entry): void {
    const clients = this.clients;
    if (clients.length > 1) entry.delivery?.retain(clients.length - 1);
    for (let i = 0; i < clients.length; i++) clients[i]!.send(entry);
  }

  /** Sends every open batch of every client; resolves when all are idle. */
  async flush(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.flush()));
  }

  /** Stops every client in parallel within the same `timeoutMs` (see LokiClient.stop). */
  async stop(timeoutMs = 0): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop(timeoutMs)));
  }
}
