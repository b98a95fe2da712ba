import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LokiClient } from '../../src/client/client.js';
import type { TlsConfig } from '../../src/config/types.js';
import { hasOpenssl, selfSigned } from '../support/certs.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';
import { captureLogger, clientConfig, entry, metric, newMetrics, startProxy } from './helpers.js';

describe('TLS', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let dir: string;
  let ipCert: { cert: string; key: string };
  let dnsCert: { cert: string; key: string };
  let clientCert: { cert: string; key: string };
  const receivers: LokiReceiver[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'logferry-tls-'));
    ipCert = selfSigned(dir, 'ip', 'loki-ip', 'IP:127.0.0.1');
    dnsCert = selfSigned(dir, 'dns', 'loki.test', 'DNS:loki.test');
    clientCert = selfSigned(dir, 'client', 'logferry-client', 'DNS:logferry-client');
  });
  after(async () => {
    for (const r of receivers) await r.close();
  });

  async function https(
    cert: { cert: string; key: string },
    requireClientCert = false,
  ): Promise<LokiReceiver> {
    const rx = await startLokiReceiver({
      tls: {
        cert: readFileSync(cert.cert),
        key: readFileSync(cert.key),
        ...(requireClientCert ? { requestCert: true, ca: readFileSync(clientCert.cert) } : {}),
      },
    });
    receivers.push(rx);
    return rx;
  }

  async function pushOnce(rx: LokiReceiver, tls: TlsConfig) {
    const metrics = newMetrics();
    const { logger, lines } = captureLogger();
    const c = new LokiClient({
      config: clientConfig(rx.url, { tls, backoff: { minPeriodMs: 1, maxPeriodMs: 2, maxRetries: 2 } }),
      metrics,
      version: 't',
      logger,
    });
    const before = rx.entries().length;
    const e = entry({ job: 'tls' }, 'secret line');
    c.send(e);
    await c.flush();
    await c.stop(0);
    return {
      delivered: rx.entries().length > before,
      dropped: await metric(metrics, 'promtail_dropped_entries_total'),
      released: e.delivery.released,
      lines,
    };
  }

  test('ca_file trusts the self-signed server certificate', async () => {
    const rx = await https(ipCert);
    const r = await pushOnce(rx, { caFile: ipCert.cert, insecureSkipVerify: false });
    assert.ok(r.delivered);
    assert.equal(r.released, 1);
  });

  test('without ca_file the certificate is refused: retried, then dropped', async () => {
    const rx = await https(ipCert);
    const r = await pushOnce(rx, { insecureSkipVerify: false });
    assert.ok(!r.delivered);
    assert.equal(r.dropped, 1);
    assert.ok(
      r.lines.some((l) => /self.signed|certificate/i.test(l)),
      r.lines.join(''),
    );
  });

  test('insecure_skip_verify accepts any certificate', async () => {
    const rx = await https(ipCert);
    assert.ok((await pushOnce(rx, { insecureSkipVerify: true })).delivered);
  });

  test('server_name checks the certificate against that name instead of the URL host', async () => {
    const rx = await https(dnsCert);
    const named = await pushOnce(rx, {
      caFile: dnsCert.cert,
      serverName: 'loki.test',
      insecureSkipVerify: false,
    });
    assert.ok(named.delivered, named.lines.join(''));
    const unnamed = await pushOnce(rx, { caFile: dnsCert.cert, insecureSkipVerify: false });
    assert.ok(!unnamed.delivered);
    assert.ok(
      unnamed.lines.some((l) => /altnames|IP: 127\.0\.0\.1/i.test(l)),
      unnamed.lines.join(''),
    );
  });

  test('proxy_url: an https target is tunnelled with CONNECT, TLS end to end', async () => {
    const rx = await https(ipCert);
    const proxy = await startProxy();
    try {
      const c = new LokiClient({
        config: clientConfig(rx.url, {
          proxyUrl: proxy.url,
          tls: { caFile: ipCert.cert, insecureSkipVerify: false },
        }),
        metrics: newMetrics(),
        version: 't',
      });
      c.send(entry({ job: 'p' }, 'tunnelled'));
      await c.flush();
      await c.stop(0);
      assert.deepEqual(proxy.seen, [`CONNECT 127.0.0.1:${rx.port}`]);
      assert.equal(rx.entries().at(-1)?.line, 'tunnelled');
    } finally {
      await proxy.close();
    }
  });

  test('cert_file and key_file present a client certificate', async () => {
    const rx = await https(ipCert, true);
    const r = await pushOnce(rx, {
      caFile: ipCert.cert,
      certFile: clientCert.cert,
      keyFile: clientCert.key,
      insecureSkipVerify: false,
    });
    assert.ok(r.delivered);
    assert.equal(rx.pushes()[0]!.clientCertificateCN, 'logferry-client');
  });
});
