// A TCP listener on 127.0.0.1 that accepts every connection, reads what comes and never answers:
// a Loki that hangs. Each connection that sends bytes counts as one attempt.

import { EventEmitter } from 'node:events';
import net from 'node:net';

export interface HungListener {
  port: number;
  url: string;
  /** Connections that sent at least one byte. */
  readonly attempts: number;
  /** Resolves once `n` attempts have arrived (rejects after `timeoutMs`). */
  waitForAttempts(n: number, timeoutMs?: number): Promise<void>;
  /** Stops listening and drops every connection; the port is free afterwards. */
  close(): Promise<void>;
}

export async function startHungListener(port = 0): Promise<HungListener> {
  const sockets = new Set<net.Socket>();
  const events = new EventEmitter();
  let attempts = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', () => {
      attempts++;
      events.emit('attempt');
    });
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as net.AddressInfo).port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/loki/api/v1/push`,
    get attempts() {
      return attempts;
    },
    waitForAttempts(n, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (attempts < n) return;
          clearTimeout(timer);
          events.off('attempt', check);
          resolve();
        };
        const timer = setTimeout(() => {
          events.off('attempt', check);
          reject(new Error(`${attempts} of ${n} attempts within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('attempt', check);
        check();
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
