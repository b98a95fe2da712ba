// How kubernetes_sd_configs reaches the API server: api_server with the HTTP client options
// (bearer_token, bearer_token_file re-read after rotation, basic_auth, authorization, tls_config
// with a CA, server_name, insecure_skip_verify and a client certificate), kubeconfig_file, and
// the in-cluster config (service account token and CA, KUBERNETES_SERVICE_HOST/PORT,
// namespaces.own_namespace). The fake API server checks what the real client sends.
// fixtures/k8s/tls holds a test-only CA with a server certificate (127.0.0.1, localhost,
// kubernetes.default.svc) and a client certificate (CN logferry), valid until 2126.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { tempDir } from '../support/agent-process.js';
import { FakeKubeApi, type KubeObject } from '../support/fake-kube-api.js';
import { type Discovery, startDiscovery } from './kube-harness.js';

const tlsDir = resolve(import.meta.dirname, '../../fixtures/k8s/tls');
const tls = {
  ca: join(tlsDir, 'ca.crt'),
  cert: readFileSync(join(tlsDir, 'server.crt')),
  key: readFileSync(join(tlsDir, 'server.key')),
};

function pod(name: string, ns = 'default'): KubeObject {
  return {
    metadata: { name, namespace: ns },
    spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'busybox' }] },
    status: { podIP: '10.0.0.2' },
  };
}

describe('kubernetes_sd_configs: connecting', () => {
  let d: Discovery | undefined;
  let api: FakeKubeApi | undefined;
  const tmp = tempDir('logferry-k8s-auth-');
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await api?.close();
    api = undefined;
  });
  after(() => tmp.cleanup());

  const start = async (yaml: string, options = {}) => {
    d = await startDiscovery(api, yaml, { initialSyncTimeoutMs: 1500, ...options });
    return d;
  };

  it('sends bearer_token, and says so when the credentials are refused', async () => {
    api = await FakeKubeApi.start({ auth: { bearerToken: 't0ken' } });
    api.create('pods', pod('a'));
    await start('role: pod\nbearer_token: t0ken\n');
    assert.deepEqual(d!.live(), ['pod/default/a']);
    assert.match(String(api.requests[0]!.headers['user-agent']), /^logferry\/\d+\.\d+\.\d+/);
    await d!.stop();
    await start('role: pod\nbearer_token: wrong\n', { initialSyncTimeoutMs: 300 });
    assert.deepEqual(d!.live(), []);
    assert.ok(
      d!.logs.some((l) => /level=warn .*credentials were refused.* status=401/.test(l)),
      d!.logs.join(''),
    );
    assert.ok(d!.logs.some((l) => /level=error .*could not list pods yet/.test(l)));
  });

  it('re-reads bearer_token_file, so a rotated token is used', async () => {
    const file = join(tmp.dir, 'token');
    writeFileSync(file, 'first\n');
    api = await FakeKubeApi.start({ auth: { bearerToken: 'first' } });
    api.create('pods', pod('a'));
    await start(`role: pod\nbearer_token_file: ${file}\n`);
    assert.deepEqual(d!.live(), ['pod/default/a']);
    writeFileSync(file, 'second\n');
    api.setAuth({ bearerToken: 'second' });
    api.dropWatches();
    api.create('pods', pod('b'));
    await d!.until(() => d!.live().length === 2, 'the pod seen with the new token');
    assert.equal(api.requests.at(-1)!.headers.authorization, 'Bearer second');
  });

  it('sends basic_auth (password_file) and authorization credentials', async () => {
    const pw = join(tmp.dir, 'pw');
    writeFileSync(pw, 's3cret\n');
    api = await FakeKubeApi.start({ auth: { basic: { username: 'admin', password: 's3cret' } } });
    api.create('pods', pod('a'));
    await start(`role: pod\nbasic_auth:\n  username: admin\n  password_file: ${pw}\n`);
    assert.deepEqual(d!.live(), ['pod/default/a']);
    await d!.stop();
    api.setAuth({ bearerToken: 'abc' });
    await start('role: pod\nauthorization:\n  type: Bearer\n  credentials: abc\n');
    assert.deepEqual(d!.live(), ['pod/default/a']);
  });

  it('verifies the server with tls_config.ca_file and server_name, or not at all with insecure_skip_verify', async () => {
    api = await FakeKubeApi.start({ tls: { key: tls.key, cert: tls.cert } });
    api.create('pods', pod('a'));
    await start(`role: pod\ntls_config:\n  ca_file: ${tls.ca}\n`);
    assert.deepEqual(d!.live(), ['pod/default/a']);
    await d!.stop();
    await start(`role: pod\ntls_config:\n  ca_file: ${tls.ca}\n  server_name: kubernetes.default.svc\n`);
    assert.deepEqual(d!.live(), ['pod/default/a']);
    await d!.stop();
    await start(`role: pod\ntls_config:\n  ca_file: ${tls.ca}\n  server_name: wrong.example.com\n`, {
      initialSyncTimeoutMs: 300,
    });
    assert.deepEqual(d!.live(), []);
    assert.ok(
      d!.logs.some((l) => /list\/watch failed.*wrong\.example\.com/.test(l)),
      d!.logs.join(''),
    );
    await d!.stop();
    await start('role: pod\n', { initialSyncTimeoutMs: 300 });
    assert.deepEqual(d!.live(), [], 'an unknown CA is refused');
    await d!.stop();
    await start('role: pod\ntls_config:\n  insecure_skip_verify: true\n');
    assert.deepEqual(d!.live(), ['pod/default/a']);
  });

  it('presents a client certificate', async () => {
    api = await FakeKubeApi.start({
      tls: { key: tls.key, cert: tls.cert, ca: readFileSync(tls.ca) },
      auth: { clientCertCN: 'logferry' },
    });
    api.create('pods', pod('a'));
    await start(
      `role: pod\ntls_config:\n  ca_file: ${tls.ca}\n  cert_file: ${join(tlsDir, 'client.crt')}\n  key_file: ${join(tlsDir, 'client.key')}\n`,
    );
    assert.deepEqual(d!.live(), ['pod/default/a']);
  });

  it('reads kubeconfig_file', async () => {
    api = await FakeKubeApi.start({
      tls: { key: tls.key, cert: tls.cert },
      auth: { bearerToken: 'kc-token' },
    });
    api.create('pods', pod('a'));
    const kubeconfig = join(tmp.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: test',
        '    cluster:',
        `      server: ${api.url}`,
        `      certificate-authority: ${tls.ca}`,
        'users:',
        '  - name: tester',
        '    user:',
        '      token: kc-token',
        'contexts:',
        '  - name: test',
        '    context: { cluster: test, user: tester }',
        'current-context: test',
        '',
      ].join('\n'),
    );
    await start(`role: pod\nkubeconfig_file: ${kubeconfig}\n`);
    assert.deepEqual(d!.live(), ['pod/default/a']);
  });

  it('uses the in-cluster service account and own_namespace when neither api_server nor kubeconfig_file is set', async () => {
    api = await FakeKubeApi.start({
      tls: { key: tls.key, cert: tls.cert },
      auth: { bearerToken: 'sa-token' },
    });
    api.create('pods', pod('a', 'monitoring'));
    api.create('pods', pod('b', 'default'));
    const sa = join(tmp.dir, 'sa');
    (await import('node:fs')).mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), readFileSync(tls.ca));
    writeFileSync(join(sa, 'namespace'), 'monitoring');
    const port = new URL(api.url).port;
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port, HOSTNAME: 'node-a' };
    const server = api;
    api = undefined; // no api_server in the config
    try {
      d = await startDiscovery(undefined, 'role: pod\nnamespaces: { own_namespace: true }\n', {
        env,
        serviceAccountDir: sa,
      });
      assert.deepEqual(d.live(), ['pod/monitoring/a']);
      assert.equal(server.requests[0]!.path, '/api/v1/namespaces/monitoring/pods');
      await d.stop();
      d = undefined;
      await assert.rejects(
        startDiscovery(undefined, 'role: pod\n', { env: {}, serviceAccountDir: sa }),
        /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
      );
      await assert.rejects(
        startDiscovery(undefined, 'role: pod\n', { env, serviceAccountDir: join(tmp.dir, 'missing') }),
        /in-cluster config: cannot read the service account token: .*missing\/token/,
      );
    } finally {
      await server.close();
    }
  });
});

describe('kubernetes_sd_configs: an unreachable API server', () => {
  let api: FakeKubeApi;
  before(async () => {
    api = await FakeKubeApi.start();
    api.create('pods', pod('a'));
  });
  after(() => api.close());

  it('does not hold start() for ever, and finds the pods once the server is back', async () => {
    api.refuseConnections(true);
    const d = await startDiscovery(api, 'role: pod\n', { initialSyncTimeoutMs: 300 });
    try {
      assert.deepEqual(d.live(), []);
      assert.ok(d.logs.some((l) => /level=error .*could not list pods yet/.test(l)));
      api.refuseConnections(false);
      await d.until(() => d.live().length === 1, 'the pod once the server is back');
    } finally {
      await d.stop();
    }
  });
});
