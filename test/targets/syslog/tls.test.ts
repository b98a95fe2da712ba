import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { hasOpenssl, selfSigned } from '../../support/certs.js';
import { type Harness, octet, startTarget } from './helpers.js';

function tlsClient(port: number, ca: string, client?: { cert: string; key: string }): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect(
      {
        host: '127.0.0.1',
        port,
        ca: readFileSync(ca),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
}

describe('syslog over TLS', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  const harnesses: Harness[] = [];
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'logferry-syslog-tls-'));
    server = selfSigned(dir, 'server', 'syslog-server', 'IP:127.0.0.1');
    client = selfSigned(dir, 'client', 'syslog-client', 'DNS:syslog-client');
  });
  after(async () => {
    for (const h of harnesses) await h.stop();
  });

  test('server TLS with both framings', async () => {
    const h = await startTarget(`tls_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}`);
    harnesses.push(h);
    assert.equal(h.target.status().details.tls, 'server');
    const a = await tlsClient(h.port, server.cert);
    a.end('<13>1 - - - - - - over tls\n');
    const b = await tlsClient(h.port, server.cert);
    b.end(octet('<13>1 - - - - - - counted over tls'));
    await h.waitFor(2);
    assert.deepEqual(h.entries.map((e) => e.line).sort(), ['counted over tls', 'over tls']);
  });

  test('mutual TLS: a client without a certificate signed by ca_file is refused', async () => {
    const h = await startTarget(
      `tls_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\n  ca_file: ${client.cert}`,
    );
    harnesses.push(h);
    assert.equal(h.target.status().details.tls, 'mutual');
    // TLS 1.3 reports the refusal after the handshake: the first read fails, nothing arrives.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: h.port, ca: readFileSync(server.cert) });
      s.on('error', () => resolve(true));
      s.on('secureConnect', () => s.write('<13>1 - - - - - - must not arrive\n'));
      s.on('close', () => resolve(true));
    });
    assert.ok(refused);
    const ok = await tlsClient(h.port, server.cert, client);
    ok.end('<13>1 - - - - - - with a client certificate\n');
    await h.waitFor(1);
    assert.deepEqual(
      h.entries.map((e) => e.line),
      ['with a client certificate'],
    );
  });

  test('a missing certificate file fails start() with the job and the file', async () => {
    await assert.rejects(
      startTarget('tls_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem'),
      /syslog target syslog: unable to load TLS certificate.*\/nonexistent\/cert\.pem/,
    );
  });
});
