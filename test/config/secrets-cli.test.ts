// Secrets never printed, through the real CLI: config errors (`invalid URL`), start-up errors
// (`cannot read bearer_token_file`), proxy_url, /config and -print-config-stderr. And
// -check-syntax opening every credential and TLS file a client reads.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDir } from '../support/agent-process.js';

const { dir, cleanup } = tempDir();
after(cleanup);

const scrape = [
  'scrape_configs:',
  '  - job_name: s',
  '    static_configs:',
  '      - targets: [localhost]',
  `        labels: {__path__: ${dir}/none/*.log}`,
];

function writeClientConfig(name: string, client: string[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'server: {http_listen_address: 127.0.0.1, http_listen_port: 0}',
      `positions: {filename: ${join(dir, `${name}.positions.yaml`)}}`,
      'clients:',
      ...client,
      ...scrape,
      '',
    ].join('\n'),
  );
  return file;
}

async function run(args: string[]): Promise<{ code: number | string; out: string }> {
  const p = runCli(args);
  const code = await p.exited;
  return { code, out: p.stdout + p.stderr };
}

function assertNoSecret(out: string, ...secrets: string[]): void {
  for (const s of secrets) assert.ok(!out.includes(s), `${s} leaked:\n${out}`);
}

describe('-check-syntax opens the files clients read', () => {
  const readable = join(dir, 'readable.pem');
  writeFileSync(readable, 'x');
  mkdirSync(join(dir, 'a-dir'));
  const missing = join(dir, 'missing');
  const rows: [string, string[], number][] = [
    ['bearer_token_file', [`    bearer_token_file: ${missing}`], 5],
    [
      'basic_auth.password_file',
      ['    basic_auth:', '      username: u', `      password_file: ${missing}`],
      7,
    ],
    ['tls_config.ca_file', ['    tls_config:', `      ca_file: ${missing}`], 6],
    [
      'tls_config.cert_file',
      ['    tls_config:', `      cert_file: ${missing}`, `      key_file: ${readable}`],
      6,
    ],
    [
      'tls_config.key_file',
      ['    tls_config:', `      cert_file: ${readable}`, `      key_file: ${join(dir, 'a-dir')}`],
      7,
    ],
  ];
  for (const [key, lines, line] of rows) {
    it(`reports an unreadable ${key} with file, line and key`, async () => {
      const file = writeClientConfig(`${key}.yaml`, [
        '  - url: http://127.0.0.1:3100/loki/api/v1/push',
        ...lines,
      ]);
      const { code, out } = await run([`-config.file=${file}`, '-check-syntax']);
      assert.equal(code, 1, out);
      const escaped = key.replace(/\./g, '\\.');
      assert.match(
        out,
        new RegExp(
          `${file.replace(/[.]/g, '\\.')}:${line}: clients\\[0\\]\\.${escaped}: cannot read ".*": (no such file|not a regular file)`,
        ),
      );
    });
  }

  it('accepts files that can be read', async () => {
    const file = writeClientConfig('ok.yaml', [
      '  - url: https://127.0.0.1:3100/loki/api/v1/push',
      `    bearer_token_file: ${readable}`,
      '    tls_config:',
      `      ca_file: ${readable}`,
      `      cert_file: ${readable}`,
      `      key_file: ${readable}`,
    ]);
    const { code, out } = await run([`-config.file=${file}`, '-check-syntax']);
    assert.equal(code, 0, out);
    assert.match(out, /Valid config file/);
  });
});

describe('secrets in URLs and headers are never printed', () => {
  it('in a config error about an invalid URL', async () => {
    const file = writeClientConfig('bad-url.yaml', ['  - url: "http://user:URLPW1@[bad/push?api_key=QK1"']);
    const { code, out } = await run([`-config.file=${file}`, '-check-syntax']);
    assert.equal(code, 1);
    assert.match(out, /invalid URL "http:\/\/<secret>:<secret>@\[bad\/push\?api_key=<secret>"/);
    assertNoSecret(out, 'URLPW1', 'QK1', 'user:');
  });

  it('in an invalid proxy_url', async () => {
    const file = writeClientConfig('bad-proxy.yaml', [
      '  - url: http://127.0.0.1:3100/loki/api/v1/push',
      '    proxy_url: "http://proxyuser:PROXYPW1@[bad:3128"',
    ]);
    const { code, out } = await run([`-config.file=${file}`, '-check-syntax']);
    assert.equal(code, 1);
    assert.match(out, /proxy_url: invalid URL/);
    assertNoSecret(out, 'PROXYPW1', 'proxyuser');
  });

  it('in the start-up error about an unreadable bearer_token_file', async () => {
    const file = writeClientConfig('start.yaml', [
      '  - url: http://TOKENUSER1:URLPW2@127.0.0.1:3100/loki/api/v1/push?api_key=QK2',
      `    bearer_token_file: ${join(dir, 'no-token')}`,
    ]);
    const { code, out } = await run([`-config.file=${file}`]);
    assert.equal(code, 1);
    assert.match(out, /cannot read bearer_token_file/);
    assert.match(out, /<secret>/);
    assertNoSecret(out, 'TOKENUSER1', 'URLPW2', 'QK2');
  });

  it('in -print-config-stderr and /config', async () => {
    const file = writeClientConfig('print.yaml', [
      '  - url: http://TOKENUSER3@127.0.0.1:3100/loki/api/v1/push?api_key=QK3',
      '    proxy_url: http://pu:PROXYPW3@127.0.0.1:3128',
      '    headers:',
      '      X-Api-Thing: HDR3',
      '      Content-Type: application/x-protobuf',
    ]);
    const agent = runCli([`-config.file=${file}`, '-print-config-stderr']);
    try {
      const port = await agent.port();
      const page = await (await fetch(`http://127.0.0.1:${port}/config`)).text();
      for (const out of [agent.stderr, page]) {
        assertNoSecret(out, 'TOKENUSER3', 'QK3', 'PROXYPW3', 'HDR3');
        assert.match(out, /url: http:\/\/<secret>@127\.0\.0\.1:3100\/loki\/api\/v1\/push\?api_key=<secret>/);
        assert.match(out, /X-Api-Thing: <secret>/);
        assert.match(out, /Content-Type: application\/x-protobuf/);
      }
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });
});
