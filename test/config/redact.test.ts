import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import {
  configToYaml,
  isSecretKey,
  redactHeaders,
  redactUrl,
  redactUrlsIn,
  redactValue,
} from '../../src/config/redact.js';

const secrets = [
  'hunter2',
  's3cr3t-token',
  'cred-xyz',
  'hdr-secret',
  'proxy-pw',
  'url-pw',
  'sd-token',
  'stage-pw',
];

const text = `
server:
  http_listen_port: 3101
clients:
  - url: https://user:url-pw@loki.example/loki/api/v1/push
    basic_auth:
      username: promtail
      password: hunter2
    headers:
      Authorization: Bearer hdr-secret
      X-Team: logs
    proxy_url: http://proxy:proxy-pw@proxy.example:3128
  - url: http://loki-2:3100/loki/api/v1/push
    bearer_token: s3cr3t-token
    tenant_id: team-a
  - url: http://loki-3:3100/loki/api/v1/push
    authorization:
      credentials: cred-xyz
  - url: http://loki-4:3100/loki/api/v1/push
    basic_auth:
      username: u
      password_file: /etc/logferry/password
    bearer_token_file: /ignored
scrape_configs:
  - job_name: pods
    kubernetes_sd_configs:
      - role: pod
        api_server: https://127.0.0.1:6443
        bearer_token: sd-token
    pipeline_stages:
      - static_labels:
          db_password: stage-pw
      - cri: {}
`.replace('    bearer_token_file: /ignored\n', '');

/** The value at a path in parsed YAML (unknown until compared). */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  return v;
}

describe('configToYaml', () => {
  const config = parseConfig(text, 'r.yaml', { expandEnv: false });
  const yaml = configToYaml(config);

  it('never shows a secret', () => {
    for (const secret of secrets) assert.ok(!yaml.includes(secret), `${secret} leaked:\n${yaml}`);
  });

  it('shows <secret> where each secret was', () => {
    const out: unknown = parseYaml(yaml);
    const c = (i: number, ...path: string[]) => at(out, 'clients', i, ...path);
    assert.equal(c(0, 'basic_auth', 'password'), '<secret>');
    assert.equal(c(0, 'basic_auth', 'username'), 'promtail');
    // The user name of a URL may be a token: user info is hidden whole.
    assert.equal(c(0, 'url'), 'https://<secret>:<secret>@loki.example/loki/api/v1/push');
    assert.equal(c(0, 'proxy_url'), 'http://<secret>:<secret>@proxy.example:3128/');
    // Every header value but those of a few harmless names.
    assert.deepEqual(c(0, 'headers'), { Authorization: '<secret>', 'X-Team': '<secret>' });
    assert.equal(c(1, 'bearer_token'), '<secret>');
    assert.equal(c(2, 'bearer_token'), '<secret>');
    // Paths to secrets are not secrets.
    assert.equal(c(3, 'basic_auth', 'password_file'), '/etc/logferry/password');
    assert.equal(at(out, 'scrape_configs', 0, 'kubernetes_sd_configs', 0, 'bearer_token'), '<secret>');
    assert.equal(
      at(out, 'scrape_configs', 0, 'pipeline_stages', 0, 'static_labels', 'db_password'),
      '<secret>',
    );
  });

  it("uses Promtail's key names and Go's duration format", () => {
    const out: unknown = parseYaml(yaml);
    assert.deepEqual(Object.keys(out as object), [
      'global',
      'server',
      'clients',
      'positions',
      'scrape_configs',
      'target_config',
      'limits_config',
    ]);
    assert.equal(at(out, 'server', 'http_listen_port'), 3101);
    assert.equal(at(out, 'server', 'graceful_shutdown_timeout'), '30s');
    assert.equal(at(out, 'clients', 1, 'batchwait'), '1s');
    assert.equal(at(out, 'clients', 1, 'batchsize'), 1048576);
    assert.equal(at(out, 'clients', 1, 'tenant_id'), 'team-a');
    assert.deepEqual(at(out, 'clients', 1, 'backoff_config'), {
      min_period: '500ms',
      max_period: '5m0s',
      max_retries: 10,
    });
    assert.equal(at(out, 'clients', 1, 'timeout'), '10s');
    assert.deepEqual(at(out, 'positions'), {
      filename: '/var/log/positions.yaml',
      sync_period: '10s',
      ignore_invalid_yaml: false,
    });
    assert.deepEqual(at(out, 'global'), {
      file_watch_config: { min_poll_frequency: '250ms', max_poll_frequency: '250ms' },
    });
    assert.equal(at(out, 'limits_config', 'readline_rate_drop'), true);
    assert.equal(at(out, 'target_config', 'sync_period'), '10s');
  });

  it('loads back into the same config, secrets aside', () => {
    const plain = parseConfig(
      `clients:\n  - url: http://loki:3100/loki/api/v1/push\n    external_labels: {host: h}\n    batchwait: 90s\nscrape_configs:\n  - job_name: a\n    encoding: UTF-8\n    pipeline_stages:\n      - cri: {}\n    static_configs:\n      - targets: [localhost]\n        labels: {job: a, __path__: /var/log/*.log}\n`,
      'a.yaml',
      { expandEnv: false },
    );
    const again = parseConfig(configToYaml(plain), 'b.yaml', { expandEnv: false });
    const strip = (c: typeof plain) => ({
      ...c,
      file: '',
      scrapeConfigs: c.scrapeConfigs.map((s) => ({
        ...s,
        line: 0,
        pipelineStages: s.pipelineStages.toJS(),
        kubernetesSdConfigs: [],
        fileSdConfigs: [],
      })),
    });
    assert.deepEqual(strip(again), strip(plain));
  });
});

describe('redaction helpers', () => {
  it('isSecretKey', () => {
    const table: [string, boolean][] = [
      ['password', true],
      ['client_secret', true],
      ['bearer_token', true],
      ['api_key', true],
      ['credentials', true],
      ['password_file', false],
      ['bearer_token_file', false],
      ['username', false],
      ['tenant_id', false],
    ];
    for (const [key, want] of table) assert.equal(isSecretKey(key), want, key);
  });

  it('redactValue walks lists and maps', () => {
    assert.deepEqual(redactValue([{ token: 'x', inner: { secret: 'y', n: 1 } }, 'plain']), [
      { token: '<secret>', inner: { secret: '<secret>', n: 1 } },
      'plain',
    ]);
    assert.deepEqual(redactValue({ password: '' }), { password: '' });
  });

  it('redactUrl hides user info and query values, also in text that is no URL', () => {
    const table: [string, string][] = [
      ['http://u:p@h:1/x', 'http://<secret>:<secret>@h:1/x'],
      ['http://tok3n@h/x', 'http://<secret>@h/x'],
      ['http://:pw@h/x', 'http://:<secret>@h/x'],
      ['http://h:1/x?api_key=k3y&tenant=&flag', 'http://h:1/x?api_key=<secret>&tenant=&flag'],
      ['https://h/x#frag', 'https://h/x#frag'],
      ['http://h:1/x', 'http://h:1/x'],
      ['http://u:SECRET@[bad/x?token=t0k', 'http://<secret>:<secret>@[bad/x?token=<secret>'],
      ['not a url', 'not a url'],
    ];
    for (const [input, want] of table) assert.equal(redactUrl(input), want, input);
  });

  it('redactUrlsIn hides the secrets of every URL in a message', () => {
    assert.equal(
      redactUrlsIn(
        'clients (http://u:pw@loki/x?k=v): cannot read bearer_token_file /t: ENOENT; proxy https://p:q@proxy',
      ),
      'clients (http://<secret>:<secret>@loki/x?k=<secret>): cannot read bearer_token_file /t: ENOENT; proxy https://<secret>:<secret>@proxy',
    );
    assert.equal(
      redactUrlsIn('invalid URL "http://u:SECRET@[::1"'),
      'invalid URL "http://<secret>:<secret>@[::1"',
    );
  });

  it('redactHeaders shows only harmless header values', () => {
    assert.deepEqual(
      redactHeaders({
        'Content-Type': 'application/json',
        'User-Agent': 'me',
        'X-Scope-OrgID': 'team',
        'X-Api-Thing': 'k',
        Cookie: 'c',
        Empty: '',
      }),
      {
        'Content-Type': 'application/json',
        'User-Agent': 'me',
        'X-Scope-OrgID': 'team',
        'X-Api-Thing': '<secret>',
        Cookie: '<secret>',
        Empty: '',
      },
    );
  });

  it('redactValue hides URLs and headers in discovery configs', () => {
    assert.deepEqual(
      redactValue({
        api_server: 'https://t@k8s',
        proxy_url: 'http://h/?token=x',
        http_headers: { X: { values: ['v'] } },
      }),
      {
        api_server: 'https://<secret>@k8s/',
        proxy_url: 'http://h/?token=<secret>',
        http_headers: { X: '<secret>' },
      },
    );
  });
});
