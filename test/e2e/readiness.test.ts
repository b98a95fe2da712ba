// /ready, the path prefix, Promtail's extra metrics and HTTPS through the built CLI: Promtail's
// 500 until a file is tailed, failing clients and an unreachable Kubernetes API, the server up
// while discovery still waits, every endpoint under -server.path-prefix, mutual TLS.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { readinessProbeFailure } from '../../src/server/server.js';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { hasOpenssl, selfSigned } from '../support/certs.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

const job = (dir: string, extra = '') =>
  [
    '  - job_name: app',
    '    static_configs:',
    '      - targets: [localhost]',
    `        labels: { job: app, __path__: "${dir}/logs/*.log" }`,
    extra,
  ].join('\n');

/** Polls `check` until it holds (a condition the agent reaches on its own timers), within a deadline. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

async function ready(base: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/ready`);
  return { status: res.status, body: await res.text() };
}

describe('/ready', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('answers 500 with Promtail’s message until a file is tailed, then 200 Ready', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const config = writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: job(dir) });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const base = `http://127.0.0.1:${await agent.port()}`;
      assert.deepEqual(await ready(base), { status: 500, body: `${readinessProbeFailure}\n` });
      writeFileSync(join(dir, 'logs', 'a.log'), 'hello\n');
      await until('/ready is 200', async () => (await ready(base)).status === 200);
      assert.equal((await ready(base)).body, 'Ready');
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('is always 200 with server.health_check_target: false', async () => {
    const { dir, cleanup } = tempDir();
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: job(dir),
      extra: 'target_config:\n  sync_period: 10s',
    });
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace('server:\n', 'server:\n  health_check_target: false\n'),
    );
    const agent = runCli([`-config.file=${config}`]);
    try {
      const base = `http://127.0.0.1:${await agent.port()}`;
      assert.deepEqual(await ready(base), { status: 200, body: 'Ready' });
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('fails while every client has failed every push for longer than backoff_config.max_period', async () => {
    const failing = await startLokiReceiver();
    failing.setResponder(() => ({ status: 503, body: 'unavailable' }));
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'one\n');
    const config = writeConfig({
      dir,
      lokiUrl: failing.url,
      client: '    backoff_config: {min_period: 20ms, max_period: 100ms, max_retries: 1000}',
      scrapeConfigs: job(dir),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const base = `http://127.0.0.1:${await agent.port()}`;
      await until('/ready reports the failing clients', async () => {
        const r = await ready(base);
        return r.status === 500 && /every client has failed every push/.test(r.body);
      });
      failing.setResponder(undefined);
      await until('/ready is 200 once a push succeeds', async () => (await ready(base)).status === 200);
    } finally {
      await agent.stop();
      await failing.close();
      cleanup();
    }
  });

  it('fails while the Kubernetes API cannot be reached; /metrics answers while discovery waits', async () => {
    const { dir, cleanup } = tempDir();
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: pods',
        '    kubernetes_sd_configs:',
        '      - role: pod',
        // Nothing listens on port 1: every list fails at once.
        '        api_server: http://127.0.0.1:1',
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`], { env: { HOSTNAME: 'node-a' } });
    try {
      const base = `http://127.0.0.1:${await agent.port(20_000, { serverOnly: true })}`;
      // The first list is still awaited (up to 10 s) but the server is up already.
      assert.doesNotMatch(agent.stderr, /agent started/);
      const metrics = await fetch(`${base}/metrics`);
      assert.equal(metrics.status, 200);
      await metrics.text();
      await until('/ready names the Kubernetes API', async () => {
        const r = await ready(base);
        return r.status === 500 && /cannot reach the Kubernetes API/.test(r.body);
      });
      await until('the failures are counted', async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const m = /^prometheus_sd_kubernetes_failures_total (\d+)/m.exec(text);
        return m !== null && Number(m[1]) > 0;
      });
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});

describe('the path prefix and the metrics Promtail adds', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('serves every endpoint under -server.path-prefix, and counts failed targets and reloads', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'one\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        job(dir),
        '  - job_name: dropped',
        '    static_configs: [{targets: [localhost], labels: {job: gone, __path__: /nowhere/*.log}}]',
        '    relabel_configs: [{action: drop, source_labels: [job], regex: gone}]',
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`, '-server.path-prefix=/promtail/']);
    try {
      const base = `http://127.0.0.1:${await agent.port()}`;
      for (const path of ['/metrics', '/ready', '/config', '/targets', '/service-discovery']) {
        assert.equal((await fetch(`${base}${path}`)).status, 404, path);
      }
      await until('ready under the prefix', async () => (await ready(`${base}/promtail`)).status === 200);
      assert.equal((await fetch(`${base}/promtail/config`)).status, 200);
      assert.equal((await fetch(`${base}/promtail/targets`)).status, 200);
      const root = await fetch(`${base}/promtail/`, { redirect: 'manual' });
      assert.equal(root.status, 303);
      assert.equal(root.headers.get('location'), '/promtail/targets');

      assert.equal((await fetch(`${base}/promtail/reload`, { method: 'POST' })).status, 200);
      writeFileSync(config, `${readFileSync(config, 'utf8')}\nnot: [valid`);
      assert.equal((await fetch(`${base}/promtail/reload`, { method: 'POST' })).status, 500);
      const text = await (await fetch(`${base}/promtail/metrics`)).text();
      assert.match(text, /^promtail_build_info\{version="[^"]+",.*\} 1$/m);
      assert.match(text, /^promtail_config_reload_success_total 1$/m);
      assert.match(text, /^promtail_config_reload_fail_total 1$/m);
      assert.match(text, /^promtail_targets_failed_total\{reason="dropped"\} [1-9]/m);
      assert.match(text, /^prometheus_sd_kubernetes_failures_total 0$/m);
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});

/** GET over HTTPS with an optional client certificate; resolves with the status or the error's code. */
function httpsGet(url: string, ca: string, client?: { cert: string; key: string }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        ca: readFileSync(ca),
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe('HTTPS', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('serves HTTPS from server.http_tls_config', async () => {
    const { dir, cleanup } = tempDir();
    const server = selfSigned(dir, 'server', 'server', 'IP:127.0.0.1');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: job(dir),
      extra: `target_config:\n  sync_period: 10s`,
    });
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        'server:\n',
        `server:\n  http_tls_config:\n    cert_file: ${server.cert}\n    key_file: ${server.key}\n`,
      ),
    );
    const agent = runCli([`-config.file=${config}`]);
    try {
      const port = await agent.port();
      assert.equal(await httpsGet(`https://127.0.0.1:${port}/metrics`, server.cert), 200);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('asks for and verifies client certificates with -server.http-tls-* (mutual TLS)', async () => {
    const { dir, cleanup } = tempDir();
    const server = selfSigned(dir, 'server', 'server', 'IP:127.0.0.1');
    const client = selfSigned(dir, 'client', 'client', 'DNS:client');
    const stranger = selfSigned(dir, 'stranger', 'stranger', 'DNS:stranger');
    const config = writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: job(dir) });
    const agent = runCli([
      `-config.file=${config}`,
      `-server.http-tls-cert-path=${server.cert}`,
      `-server.http-tls-key-path=${server.key}`,
      `-server.http-tls-ca-path=${client.cert}`,
      '-server.http-tls-client-auth=RequireAndVerifyClientCert',
    ]);
    try {
      const url = `https://127.0.0.1:${await agent.port()}/metrics`;
      assert.equal(await httpsGet(url, server.cert, client), 200);
      assert.notEqual(await httpsGet(url, server.cert), 200);
      assert.notEqual(await httpsGet(url, server.cert, stranger), 200);
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('refuses client CAs without a client auth policy, naming the key', async () => {
    const { dir, cleanup } = tempDir();
    const config = writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: job(dir) });
    const run = runCli([
      `-config.file=${config}`,
      '-server.http-tls-cert-path=/c.pem',
      '-server.http-tls-key-path=/k.pem',
      '-server.http-tls-ca-path=/ca.pem',
    ]);
    assert.equal(await run.exited, 1);
    assert.match(run.stderr, /server\.http_tls_config: client CAs are set without a client auth policy/);
    cleanup();
  });
});
