import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, ConfigNode } from '../../../src/config/reader.js';
import { parseSyslogConfig } from '../../../src/targets/syslog/config.js';
import { SyslogFramer } from '../../../src/targets/syslog/framing.js';
import { facilityLevel, type SyslogMessage, severityLevel } from '../../../src/targets/syslog/message.js';
import { parseRfc3164 } from '../../../src/targets/syslog/rfc3164.js';
import { formatRfc5424, parseRfc5424 } from '../../../src/targets/syslog/rfc5424.js';

function p5424(text: string) {
  const b = Buffer.from(text);
  return parseRfc5424(b, 0, b.length);
}

function ok(text: string): SyslogMessage {
  const r = p5424(text);
  assert.equal(typeof r, 'object', `expected ${JSON.stringify(text)} to parse, got ${String(r)}`);
  return r as SyslogMessage;
}

describe('RFC 5424 parsing', () => {
  test('the RFC examples, field by field', () => {
    const m = ok("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed");
    assert.equal(m.priority, 34);
    assert.equal(severityLevel(m.priority), 'critical');
    assert.equal(facilityLevel(m.priority), 'auth');
    assert.equal(m.hostname, 'mymachine.example.com');
    assert.equal(m.appName, 'su');
    assert.equal(m.procId, undefined);
    assert.equal(m.msgId, 'ID47');
    assert.equal(m.structuredData, undefined);
    assert.equal(m.message, "\u{feff}'su root' failed");
    assert.equal(m.timestamp, BigInt(Date.UTC(2003, 9, 11, 22, 14, 15, 3)) * 1_000_000n);

    const t = ok(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    assert.equal(t.timestamp, BigInt(Date.UTC(2003, 7, 24, 12, 14, 15)) * 1_000_000n + 3000n);
    assert.equal(t.procId, '8710');
    assert.equal(severityLevel(t.priority), 'notice');
    assert.equal(facilityLevel(t.priority), 'local4');

    const sd = ok(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event',
    );
    assert.deepEqual(
      [...sd.structuredData!].map(([id, p]) => [id, Object.fromEntries(p)]),
      [
        ['exampleSDID@32473', { iut: '3', eventSource: 'Application', eventID: '1011' }],
        ['examplePriority@32473', { class: 'high' }],
      ],
    );
    assert.equal(sd.message, 'An application event');
  });

  const valid: [string, Partial<SyslogMessage>][] = [
    ['<0>1 - - - - - -', { priority: 0 }],
    ['<191>999 - - - - - - ', { priority: 191, version: 999 }],
    [
      '<13>1 - host app 1 m1 - hello',
      { hostname: 'host', appName: 'app', procId: '1', msgId: 'm1', message: 'hello' },
    ],
    [
      '<13>1 2024-02-29T23:59:59+01:00 - - - - - x',
      { timestamp: BigInt(Date.UTC(2024, 1, 29, 22, 59, 59)) * 1_000_000n },
    ],
    ['<13>1 - - - - - [a x="q\\"uo\\]te\\\\"] m', {}],
    ['<13>1 - - - - - [a] ü', { message: 'ü' }],
  ];
  for (const [text, fields] of valid) {
    test(`parses ${text}`, () => {
      const m = ok(text);
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(m[k as keyof SyslogMessage], v, k);
    });
  }

  test('SD escapes are removed, and printed back by use_rfc5424_message', () => {
    const m = ok('<13>1 2024-01-02T03:04:05.100000+00:00 h a - - [b y="2"][a x="q\\"uo\\]te\\\\"] m');
    assert.equal(m.structuredData!.get('a')!.get('x'), 'q"uo]te\\');
    assert.equal(formatRfc5424(m), '<13>1 2024-01-02T03:04:05.1Z h a - - [a x="q\\"uo\\]te\\\\"][b y="2"] m');
    assert.equal(formatRfc5424(ok('<13>1 - - - - - - ')), '<13>1 - - - - - -');
  });

  const invalid: [string, RegExp][] = [
    ['13>1 - - - - - -', /angle brackets/],
    ['<192>1 - - - - - -', /priority value in the range/],
    ['<013>1 - - - - - -', /priority value in the range/],
    ['<13>0 - - - - - -', /version/],
    ['<13>1  - - - - -', /timestamp/],
    ['<13>1 2024-02-30T00:00:00Z - - - - -', /timestamp/],
    ['<13>1 2024-01-01T00:00:00.1234567Z - - - - -', /timestamp/],
    ['<13>1 2024-01-01T00:00:00 - - - - -', /timestamp/],
    [`<13>1 - ${'h'.repeat(256)} - - - -`, /hostname/],
    [`<13>1 - - ${'a'.repeat(49)} - - -`, /app-name/],
    [`<13>1 - - - - ${'m'.repeat(33)} -`, /msgid/],
    ['<13>1 - - - - - x', /structured data/],
    ['<13>1 - - - - - [a x="1"][a y="2"]', /duplicate/],
    ['<13>1 - - - - - [a x="a]b"]', /parameter/],
    ['<13>1 - - - - - [a x="a\\nb"]', /escaped/],
    ['<13>1 - - - - - [a x=1]', /parameter/],
    ['<13>1 - - - - - -x', /parsing error/],
    ['<13>1 - - - -', /msgid/],
    ['garbage', /angle brackets/],
  ];
  for (const [text, error] of invalid) {
    test(`rejects ${text.slice(0, 60)}`, () => {
      const r = p5424(text);
      assert.equal(typeof r, 'string');
      assert.match(r as string, error);
    });
  }

  test('takes a message that is not UTF-8 (as go-syslog), with U+FFFD for the bad bytes', () => {
    const bad = Buffer.concat([Buffer.from('<13>1 - - - - - - '), Buffer.from([0xf8, 0x41])]);
    assert.equal((parseRfc5424(bad, 0, bad.length) as SyslogMessage).message, '\uFFFDA');
    assert.equal(ok('<13>1 - - - - - - \uFFFD').message, '\uFFFD');
  });

  test('an empty MSG is no message', () => {
    assert.equal(ok('<13>1 - - - - - -').message, undefined);
    assert.equal(ok('<13>1 - - - - - - ').message, undefined);
  });

  test('facility names as go-syslog: keywords, else descriptions', () => {
    assert.deepEqual(
      [0, 1, 4, 9, 10, 12, 13, 14, 15, 16, 23].map((f) => facilityLevel(f * 8)),
      [
        'kern',
        'user',
        'auth',
        'clock daemon',
        'authpriv',
        'NTP subsystem',
        'log audit',
        'log alert',
        'cron',
        'local0',
        'local7',
      ],
    );
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(severityLevel), [
      'emergency',
      'alert',
      'critical',
      'error',
      'warning',
      'notice',
      'informational',
      'debug',
    ]);
  });
});

describe('RFC 3164 parsing', () => {
  const now = Date.UTC(2025, 5, 15);
  function p(text: string) {
    const b = Buffer.from(text);
    return parseRfc3164(b, 0, b.length, now);
  }
  const table: [string, Partial<SyslogMessage>][] = [
    [
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      {
        priority: 34,
        hostname: 'mymachine',
        appName: 'su',
        message: "'su root' failed for lonvick on /dev/pts/8",
      },
    ],
    [
      '<13>Feb  5 17:32:18 10.0.0.99 sshd[123]: Accepted',
      { hostname: '10.0.0.99', appName: 'sshd', procId: '123', message: 'Accepted' },
    ],
    [
      '<13>Feb 05 17:32:18 host some message text',
      { hostname: 'host', appName: undefined, message: 'some message text' },
    ],
    [
      '<13>Feb  5 17:32:18 cron[7]: job done',
      { hostname: undefined, appName: 'cron', procId: '7', message: 'job done' },
    ],
    ['<13>Jan  1 00:00:00 single', { hostname: undefined, message: 'single' }],
  ];
  for (const [text, fields] of table) {
    test(`parses ${text}`, () => {
      const m = p(text);
      assert.equal(typeof m, 'object', String(m));
      for (const [k, v] of Object.entries(fields))
        assert.deepEqual((m as SyslogMessage)[k as keyof SyslogMessage], v, k);
    });
  }
  test('the stamp takes the current year, or the previous one for a date far ahead', () => {
    assert.equal(
      (p('<13>Oct 11 22:14:15 h m') as SyslogMessage).timestamp,
      BigInt(Date.UTC(2024, 9, 11, 22, 14, 15)) * 1_000_000n,
    );
    assert.equal(
      (p('<13>Jun 14 01:02:03 h m') as SyslogMessage).timestamp,
      BigInt(Date.UTC(2025, 5, 14, 1, 2, 3)) * 1_000_000n,
    );
  });
  for (const bad of [
    '<13>Foo 11 22:14:15 h m',
    '<13>Oct 11 25:14:15 h m',
    '<13>Oct 11 22:14:15',
    '<13>Oct 11 22:14:15 h\tm',
    'x',
  ]) {
    test(`rejects ${JSON.stringify(bad)}`, () => assert.equal(typeof p(bad), 'string'));
  }
});

describe('framing', () => {
  function frames(chunks: (string | Buffer)[], max = 100) {
    const out: string[] = [];
    const errors: string[] = [];
    const f = new SyslogFramer(
      {
        frame: (b, s, e) => out.push(b.toString('utf8', s, e)),
        error: (r, fatal) => errors.push(`${fatal ? 'fatal' : 'error'}: ${r}`),
      },
      max,
    );
    for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    f.end();
    return { out, errors, ok: f.ok };
  }

  test('newline framing, split anywhere, last line without LF', () => {
    const text = '<1>a\n<2>bb\n\n<3>ccc\n<4>tail';
    for (let cut = 0; cut <= text.length; cut++) {
      const r = frames([text.slice(0, cut), text.slice(cut)]);
      assert.deepEqual(r.out, ['<1>a', '<2>bb\n', '<3>ccc', '<4>tail'], `cut at ${cut}`);
    }
  });

  test('lines that do not start with < continue the message before, as in go-syslog', () => {
    const r = frames(['<1>a\n  at b\n', '  at c\n<2>d\n']);
    assert.deepEqual(r.out, ['<1>a\n  at b\n  at c', '<2>d']);
  });

  test('octet counting, split anywhere, byte lengths', () => {
    const text = '4 <1>a5 <2>ü6 <3>ccc\n';
    for (let cut = 0; cut <= Buffer.byteLength(text); cut++) {
      const b = Buffer.from(text);
      const r = frames([b.subarray(0, cut), b.subarray(cut)]);
      assert.deepEqual(r.out, ['<1>a', '<2>ü', '<3>ccc'], `cut at ${cut}`);
      assert.deepEqual(r.errors, []);
    }
  });

  test('a line over the maximum is dropped up to its end, the stream goes on', () => {
    const r = frames(['<1>', 'x'.repeat(150), 'y'.repeat(150), '\n<2>ok\n', `${'z'.repeat(120)}\n<3>ok`]);
    assert.deepEqual(r.out, ['<2>ok', '<3>ok']);
    assert.equal(r.errors.length, 2);
    assert.ok(r.ok);
  });

  test('a counted frame over the maximum, a bad header or a bad first byte end the stream', () => {
    for (const input of ['101 <1>', '5x<1>ab', '3 abc', '0 <1>', '\x16\x03\x01']) {
      const r = frames([input]);
      assert.equal(r.ok, false, input);
      assert.equal(r.errors.length, 1, input);
      assert.match(r.errors[0]!, /^fatal/);
    }
  });

  test('a MSGLEN with leading zeros is read as go-syslog reads it', () => {
    assert.deepEqual(frames(['04 <1>a']).out, ['<1>a']);
  });

  test('an unfinished counted frame at the end is an error', () => {
    const r = frames(['10 <1>abc']);
    assert.deepEqual(r.out, []);
    assert.equal(r.errors.length, 1);
  });
});

describe('syslog config', () => {
  function parse(yaml: string) {
    return parseSyslogConfig(ConfigNode.parse(yaml, 'c.yaml'));
  }
  test("Promtail's defaults", () => {
    assert.deepEqual(parse('listen_address: 0.0.0.0:1514'), {
      listenAddress: '0.0.0.0:1514',
      listenProtocol: 'tcp',
      idleTimeoutMs: 120_000,
      labelStructuredData: false,
      labels: {},
      useIncomingTimestamp: false,
      useRfc5424Message: false,
      maxMessageLength: 8192,
      syslogFormat: 'rfc5424',
    });
  });
  test('every key', () => {
    const c = parse(
      [
        'listen_address: "[::1]:514"',
        'listen_protocol: udp',
        'idle_timeout: 5m',
        'label_structured_data: true',
        'labels: {job: syslog}',
        'use_incoming_timestamp: true',
        'use_rfc5424_message: true',
        'max_message_length: 1024',
        'syslog_format: rfc3164',
        'tls_config: {cert_file: c.pem, key_file: k.pem, ca_file: ca.pem}',
      ].join('\n'),
    );
    assert.equal(c.idleTimeoutMs, 300_000);
    assert.deepEqual(c.tls, { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem' });
    assert.equal(c.listenProtocol, 'udp');
    assert.equal(c.syslogFormat, 'rfc3164');
    assert.equal(c.maxMessageLength, 1024);
  });
  const errors: [string, RegExp][] = [
    ['listen_protocol: tcp', /c\.yaml:1: listen_address: .*required/],
    ['listen_address: 1514', /no port/],
    ['listen_address: ":1514"\nlisten_protocol: sctp', /c\.yaml:2: listen_protocol/],
    ['listen_address: ":1514"\nsyslog_format: rfc3339', /syslog_format/],
    ['listen_address: ":1514"\ntls_config: {ca_file: a}', /cert_file, key_file/],
    ['listen_address: ":1514"\nbogus: 1', /c\.yaml:2: .*bogus/],
    ['listen_address: ":1514"\nlabels: {"a-b": c}', /invalid label name/],
  ];
  for (const [yaml, re] of errors) {
    test(`error: ${yaml.replace(/\n/g, ' | ')}`, () => {
      assert.throws(
        () => parse(yaml),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }
});

describe('connection hostname', () => {
  test('every /etc/hosts name of the address, fully qualified, as Go LookupAddr', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { lookupAddr, plainIp } = await import('../../../src/targets/syslog/hostname.js');
    const dir = mkdtempSync(join(tmpdir(), 'logferry-hosts-'));
    const hosts = join(dir, 'hosts');
    writeFileSync(
      hosts,
      '# comment\n10.9.8.7 alpha alpha.example.com # trailing\n10.9.8.7 beta.\n::1 localhost6\n',
    );
    assert.equal(await lookupAddr('10.9.8.7', hosts), 'alpha.,alpha.example.com.,beta.');
    assert.equal(plainIp('::ffff:10.9.8.7'), '10.9.8.7');
    assert.equal(plainIp('::1'), '::1');
  });
});

describe('hostile bytes', () => {
  test('random input never throws in the framer or either parser', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const alphabet = Buffer.from('<>0123456789 -[]="\\\n\rTZ:.+abcJanFeb@\u00ff');
    let frames = 0;
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 200);
      const b = Buffer.allocUnsafe(len);
      for (let j = 0; j < len; j++)
        b[j] = rand() < 0.8 ? alphabet[Math.floor(rand() * alphabet.length)]! : Math.floor(rand() * 256);
      if (i % 2 === 0 && len > 0) b[0] = 0x3c;
      const f = new SyslogFramer(
        {
          frame: (buf, s, e) => {
            frames++;
            parseRfc5424(buf, s, e);
            parseRfc3164(buf, s, e);
          },
          error: () => {},
        },
        64,
      );
      const cut = Math.floor(rand() * len);
      f.push(b.subarray(0, cut));
      f.push(b.subarray(cut));
      f.flush();
      f.end();
    }
    assert.ok(frames > 1000);
  });
});
