// The agent's HTTP server: /metrics, /ready, /config, /targets, /reload (Promtail's endpoints).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { TargetStatus } from '../types.js';
import { renderTargetsPage } from './pages.js';

export interface ServerDeps {
  metrics: Metrics;
  logger: Logger;
  /** True once the agent runs its targets. */
  ready(): boolean;
  /** The effective config as YAML, secrets hidden. */
  configYaml(): string;
  targets(): TargetStatus[];
  /** Reloads the config file; resolves with the error when the new config was rejected. */
  reload(): Promise<string | undefined>;
  /** Extra pages (the service-discovery page), by path. */
  pages?: Record<string, () => string>;
  allowReload: boolean;
  serveMetrics: boolean;
}

export interface HttpServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export async function startHttpServer(address: string, port: number, deps: ServerDeps): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, deps).catch((err: unknown) => {
      deps.logger.error('http handler failed', { path: req.url, err });
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  deps.logger.info('server listening', { address: `${info.address}:${info.port}` });
  return {
    port: info.port,
    address: info.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  switch (path) {
    case '/metrics': {
      if (!deps.serveMetrics) return send(res, 404, 'text/plain', 'metrics are disabled\n');
      const body = await deps.metrics.registry.metrics();
      return send(res, 200, deps.metrics.registry.contentType, body);
    }
    case '/ready':
      return deps.ready()
        ? send(res, 200, 'text/plain', 'Ready\n')
        : send(res, 503, 'text/plain', 'Not ready\n');
    case '/config':
      return send(res, 200, 'text/plain; charset=utf-8', deps.configYaml());
    case '/':
    case '/targets':
      return send(res, 200, 'text/html; charset=utf-8', renderTargetsPage(deps.targets()));
    case '/reload': {
      if (req.method !== 'POST' && req.method !== 'GET') return send(res, 405, 'text/plain', 'use POST\n');
      if (!deps.allowReload) return send(res, 400, 'text/plain', 'runtime reload is disabled\n');
      const error = await deps.reload();
      return error === undefined
        ? send(res, 200, 'text/plain', 'config reloaded\n')
        : send(res, 500, 'text/plain', `failed to reload config: ${error}\n`);
    }
    default: {
      const page = deps.pages?.[path];
      if (page) return send(res, 200, 'text/html; charset=utf-8', page());
      return send(res, 404, 'text/plain', 'not found\n');
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
