// Parsing kubernetes_sd_configs entries and selectors: Prometheus's keys, defaults and rules, with
// errors naming file, line and key.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { type KubernetesSdConfig, parseKubernetesSdConfig } from '../../src/discovery/kubernetes-config.js';
import {
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../src/discovery/kubernetes-selectors.js';

const parse = (yaml: string): KubernetesSdConfig =>
  parseKubernetesSdConfig(ConfigNode.parse(yaml, '/etc/logferry/config.yaml'), (p) =>
    resolve('/etc/logferry', p),
  );

describe('kubernetes_sd_configs: parsing', () => {
  it('has Prometheus defaults: in-cluster, all namespaces, no selectors, no metadata', () => {
    assert.deepEqual(parse('role: pod\n'), {
      role: 'pod',
      namespaces: { names: [], ownNamespace: false },
      selectors: { pod: {}, node: {} },
      attachMetadata: { node: false, namespace: false },
      http: { tls: { insecureSkipVerify: false } },
      where: '/etc/logferry/config.yaml:1',
    });
  });

  it('reads every supported key', () => {
    const c = parse(
      [
        'role: pod',
        'api_server: https://10.0.0.1:6443',
        'namespaces:',
        '  names: [default, monitoring]',
        'selectors:',
        '  - role: pod',
        '    label: "app in (web, api),!canary"',
        '    field: status.phase=Running',
        '  - role: node',
        '    label: pool=system',
        'attach_metadata: { node: true, namespace: true }',
        'bearer_token_file: secrets/token',
        'tls_config:',
        '  ca_file: ca.crt',
        '  cert_file: /abs/client.crt',
        '  key_file: client.key',
        '  server_name: kubernetes.default.svc',
        '  insecure_skip_verify: false',
        'proxy_url: http://proxy:3128',
        'follow_redirects: true',
        'enable_http2: false',
        '',
      ].join('\n'),
    );
    assert.equal(c.apiServer, 'https://10.0.0.1:6443');
    assert.deepEqual(c.namespaces, { names: ['default', 'monitoring'], ownNamespace: false });
    assert.deepEqual(c.selectors, {
      pod: { label: 'app in (web, api),!canary', field: 'status.phase=Running' },
      node: { label: 'pool=system' },
    });
    assert.deepEqual(c.attachMetadata, { node: true, namespace: true });
    assert.deepEqual(c.http, {
      bearerTokenFile: '/etc/logferry/secrets/token',
      tls: {
        caFile: '/etc/logferry/ca.crt',
        certFile: '/abs/client.crt',
        keyFile: '/etc/logferry/client.key',
        serverName: 'kubernetes.default.svc',
        insecureSkipVerify: false,
      },
      proxyUrl: 'http://proxy:3128',
    });
  });

  it('reads basic_auth, authorization and kubeconfig_file', () => {
    assert.deepEqual(
      parse('role: pod\napi_server: http://a\nbasic_auth: { username: u, password_file: pw }\n').http
        .basicAuth,
      {
        username: 'u',
        passwordFile: '/etc/logferry/pw',
      },
    );
    assert.deepEqual(
      parse('role: pod\napi_server: http://a\nauthorization: { credentials: s3cr3t }\n').http.authorization,
      { type: 'Bearer', credentials: 's3cr3t' },
    );
    assert.equal(
      parse('role: pod\nkubeconfig_file: kube/config\n').kubeconfigFile,
      '/etc/logferry/kube/config',
    );
    assert.equal(parse('role: pod\nnamespaces: { own_namespace: true }\n').namespaces.ownNamespace, true);
  });

  const bad: [string, string, RegExp][] = [
    ['no role', 'api_server: http://a\n', /config\.yaml:1: role: role missing \(one of: pod, service/],
    ['an unknown role', 'role: pods\n', /config\.yaml:1: role: unknown Kubernetes SD role "pods"/],
    [
      'another role',
      'role: service\n',
      /config\.yaml:1: role: role "service" is not supported: .*logs?.* pods; use role: pod/,
    ],
    [
      'an unknown key',
      'role: pod\nnamespace: default\n',
      /config\.yaml:2: namespace: unknown key \(allowed here: role, api_server/,
    ],
    [
      'a bad api_server',
      'role: pod\napi_server: 10.0.0.1:6443\n',
      /config\.yaml:2: api_server: .* not an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'api_server and kubeconfig_file',
      'role: pod\napi_server: http://a\nkubeconfig_file: k\n',
      /config\.yaml:3: kubeconfig_file: cannot use 'kubeconfig_file' and 'api_server' simultaneously/,
    ],
    [
      'HTTP options without api_server',
      'role: pod\nbearer_token: t\n',
      /config\.yaml:2: bearer_token: to use custom HTTP client configuration please provide the 'api_server' URL explicitly/,
    ],
    [
      'HTTP options with kubeconfig_file',
      'role: pod\nkubeconfig_file: k\ntls_config: { insecure_skip_verify: true }\n',
      /config\.yaml:3: tls_config: cannot use a custom HTTP client configuration together with 'kubeconfig_file'/,
    ],
    [
      'own_namespace with api_server',
      'role: pod\napi_server: http://a\nnamespaces:\n  own_namespace: true\n',
      /config\.yaml:4: namespaces\.own_namespace: cannot use 'api_server' and 'namespaces\.own_namespace'/,
    ],
    [
      'two authentication schemes',
      'role: pod\napi_server: http://a\nbasic_auth: { username: u }\nbearer_token: t\n',
      /config\.yaml:4: bearer_token: at most one of basic_auth, authorization, bearer_token & bearer_token_file/,
    ],
    [
      'bearer_token and bearer_token_file',
      'role: pod\napi_server: http://a\nbearer_token: t\nbearer_token_file: f\n',
      /config\.yaml:4: bearer_token_file: at most one of bearer_token & bearer_token_file/,
    ],
    [
      'oauth2',
      'role: pod\napi_server: http://a\noauth2: { client_id: x }\n',
      /config\.yaml:3: oauth2: oauth2 is not supported/,
    ],
    [
      'a selector for another role',
      'role: pod\nselectors:\n  - role: service\n    label: a=b\n',
      /config\.yaml:3: selectors\[0\]\.role: pod role supports only pod, node selectors/,
    ],
    [
      'two selectors for one role',
      'role: pod\nselectors:\n  - role: pod\n    label: a=b\n  - role: pod\n    field: metadata.name=x\n',
      /config\.yaml:5: selectors\[1\]\.role: duplicated selector role: pod/,
    ],
    [
      'a bad label selector',
      'role: pod\nselectors:\n  - role: pod\n    label: "app in web"\n',
      /config\.yaml:4: selectors\[0\]\.label: expected "\(", found "web"/,
    ],
    [
      'a bad field selector',
      'role: pod\nselectors:\n  - role: pod\n    field: spec.nodeName\n',
      /config\.yaml:4: selectors\[0\]\.field: invalid field selector term "spec\.nodeName"/,
    ],
    [
      'a client cert without key',
      'role: pod\napi_server: https://a\ntls_config:\n  cert_file: c\n',
      /config\.yaml:4: tls_config: a client certificate needs a key/,
    ],
    [
      'a wrong type',
      'role: pod\nattach_metadata:\n  node: yes please\n',
      /config\.yaml:3: attach_metadata\.node: expected true or false/,
    ],
  ];
  for (const [name, yaml, want] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parse(yaml),
        (e: unknown) => e instanceof ConfigError && want.test(e.message),
      );
    });
  }
});

describe('selectors', () => {
  const labels: [string, Record<string, string>, boolean][] = [
    ['', { a: 'b' }, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'api' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web, api)', { app: 'api' }, true],
    ['app notin (web,api)', { app: 'db' }, true],
    ['app notin (web,api)', {}, true],
    ['app', { app: '' }, true],
    ['!app', { app: '' }, false],
    ['app.kubernetes.io/name=web,tier', { 'app.kubernetes.io/name': 'web', tier: 'x' }, true],
    ['app.kubernetes.io/name=web,tier', { 'app.kubernetes.io/name': 'web' }, false],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas<2', { replicas: '3' }, false],
    ['app=', { app: '' }, true],
  ];
  for (const [selector, l, want] of labels) {
    it(`label selector ${JSON.stringify(selector)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(l)}`, () => {
      assert.equal(matchesLabelSelector(parseLabelSelector(selector), l), want);
    });
  }

  const badLabels = [
    'app in web',
    'app in (a',
    '=web',
    'app==',
    'Bad_Prefix/x=y',
    'app=has space',
    'a,',
    'x>y',
  ];
  for (const s of badLabels.filter((x) => x !== 'app==')) {
    it(`label selector ${JSON.stringify(s)} is refused`, () =>
      assert.throws(() => parseLabelSelector(s), SelectorError));
  }

  it('parses field selectors with escapes', () => {
    assert.deepEqual(parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed, metadata.name==a\\,b'), [
      { field: 'spec.nodeName', op: '=', value: 'node-1' },
      { field: 'status.phase', op: '!=', value: 'Failed' },
      { field: 'metadata.name', op: '=', value: 'a,b' },
    ]);
    assert.deepEqual(parseFieldSelector(''), []);
    assert.throws(() => parseFieldSelector('=x'), SelectorError);
  });
});
