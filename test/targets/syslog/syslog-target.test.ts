import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, test } from 'node:test';
import { InFlightBudget } from '../../../src/positions/acks.js';
import { closed, type Harness, octet, startTarget, tcpClient } from './helpers.js';

const mapAll = '- action: labelmap\n  regex: __syslog_(.+)\n  replacement: $1\n';

describe('syslog target over TCP', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.stop();
  });
  async function start(yaml: string, options: Parameters<typeof startTarget>[1] = {}) {
    const h = await startTarget(yaml, options);
    harnesses.push(h);
    return h;
  }

  test('newline framing: Promtail labels, line, receive time; port 0 shows in status()', async () => {
    const h = await start('labels: {job: syslog, __hidden: x}', { relabel: mapAll });
    assert.equal(h.target.status().details.port, h.port);
    assert.notEqual(h.port, 0);
    assert.equal(h.target.status().ready, true);
    const before = BigInt(Date.now()) * 1_000_000n;
    const c = await tcpClient(h.port);
    c.write(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 - An application event\n',
    );
    c.write('<13>1 - - - - - - second\n');
    await h.waitFor(2);
    c.end();
    const [a, b] = h.entries;
    assert.deepEqual(a!.labels, {
      job: 'syslog',
      connection_ip_address: '127.0.0.1',
      connection_hostname: a!.labels.connection_hostname!,
      message_severity: 'notice',
      message_facility: 'local4',
      message_hostname: 'mymachine.example.com',
      message_app_name: 'evntslog',
      message_proc_id: '42',
      message_msg_id: 'ID47',
    });
    assert.equal(a!.line, 'An application event');
    assert.ok(a!.timestamp >= before, 'receive time, not the message time');
    assert.deepEqual(b!.labels, {
      job: 'syslog',
      connection_ip_address: '127.0.0.1',
      connection_hostname: a!.labels.connection_hostname!,
      message_severity: 'notice',
      message_facility: 'user',
    });
    assert.equal(b!.line, 'second');
    assert.equal(await h.counter('promtail_syslog_target_entries_total'), 2);
  });

  test('without relabel rules only the job labels remain', async () => {
    const h = await start('labels: {job: plain}');
    const c = await tcpClient(h.port);
    c.end('<13>1 - host app - - - hi\n');
    await h.waitFor(1);
    assert.deepEqual(h.entries[0]!.labels, { job: 'plain' });
  });

  test('octet counting, structured data labels, incoming timestamps, full RFC 5424 line', async () => {
    const h = await start(
      'label_structured_data: true\nuse_incoming_timestamp: true\nuse_rfc5424_message: true',
      {
        relabel: mapAll,
      },
    );
    const c = await tcpClient(h.port);
    const m1 =
      '<165>1 2003-10-11T22:14:15.003+02:00 host app - ID47 [exampleSDID@32473 iut="3" eventSource="App"][b@1 k="v\\"q"] event ü';
    const m2 = '<14>1 2024-05-06T07:08:09.123456Z - - - - - multi\nline';
    c.write(octet(m1).slice(0, 10));
    c.write(octet(m1).slice(10) + octet(m2));
    await h.waitFor(2);
    c.end();
    const [a, b] = h.entries;
    assert.equal(a!.labels.message_sd_exampleSDID_32473_iut, '3');
    assert.equal(a!.labels.message_sd_exampleSDID_32473_eventSource, 'App');
    assert.equal(a!.labels.message_sd_b_1_k, 'v"q');
    assert.equal(a!.timestamp, BigInt(Date.UTC(2003, 9, 11, 20, 14, 15, 3)) * 1_000_000n);
    assert.equal(
      a!.line,
      '<165>1 2003-10-11T22:14:15.003+02:00 host app - ID47 [b@1 k="v\\"q"][exampleSDID@32473 eventSource="App" iut="3"] event ü',
    );
    assert.equal(b!.timestamp, BigInt(Date.UTC(2024, 4, 6, 7, 8, 9, 123)) * 1_000_000n + 456_000n);
    assert.equal(b!.line, '<14>1 2024-05-06T07:08:09.123456Z - - - - - multi\nline');
  });

  test('RFC 3164', async () => {
    const h = await start('syslog_format: rfc3164\nuse_rfc5424_message: true', { relabel: mapAll });
    const c = await tcpClient(h.port);
    c.end('<38>Feb  5 17:32:18 web1 sshd[4711]: Accepted publickey\n<13>Feb  5 17:32:19 web1 plain words\n');
    await h.waitFor(2);
    const [a, b] = h.entries;
    assert.equal(a!.line, 'Accepted publickey');
    assert.equal(a!.labels.message_hostname, 'web1');
    assert.equal(a!.labels.message_app_name, 'sshd');
    assert.equal(a!.labels.message_proc_id, '4711');
    assert.equal(a!.labels.message_facility, 'auth');
    assert.equal(a!.labels.message_severity, 'informational');
    assert.equal(a!.labels.message_msg_id, undefined);
    assert.equal(b!.line, 'plain words');
  });

  test('malformed and empty messages are counted, the connection goes on', async () => {
    const h = await start('');
    const c = await tcpClient(h.port);
    c.write(
      '<13>1 - - - - - - good 1\n<999>1 - - - - - - bad\n<13>1 - - -\n<13>1 - - - - - -\n<13>1 - - - - - - good 2\n',
    );
    await h.waitFor(2);
    c.end();
    assert.deepEqual(
      h.entries.map((e) => e.line),
      ['good 1', 'good 2'],
    );
    assert.equal(await h.counter('promtail_syslog_target_parsing_errors_total'), 2);
    assert.equal(await h.counter('promtail_syslog_empty_messages_total'), 1);
    assert.ok(h.logs.some((l) => l.includes('error parsing syslog stream')));
  });

  test('newline framing: lines not starting with < continue the message (multi-line)', async () => {
    const h = await start('');
    const c = await tcpClient(h.port);
    c.write(
      '<11>1 - - - - - - Exception: boom\n\tat a.b(c.java:1)\n\tat d.e(f.java:2)\n<13>1 - - - - - - next\n',
    );
    await h.waitFor(1);
    assert.equal(h.entries[0]!.line, 'Exception: boom\n\tat a.b(c.java:1)\n\tat d.e(f.java:2)');
    // The last message is handed on when the sender pauses, without waiting for the next one.
    await h.waitFor(2);
    assert.equal(h.entries[1]!.line, 'next');
    c.end();
  });

  test('a stream that does not start like syslog is cut off and counted', async () => {
    const h = await start('');
    const c = await tcpClient(h.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(c);
    assert.equal(await h.counter('promtail_syslog_target_parsing_errors_total'), 1);
    assert.deepEqual(h.entries, []);
  });

  test('a frame that never ends is cut off at idle_timeout', async () => {
    const h = await start('idle_timeout: 150ms');
    const c = await tcpClient(h.port);
    c.write('<13>1 - - - - - - never finished');
    await closed(c);
    assert.ok(h.logs.some((l) => l.includes('syslog connection timed out')));
  });

  test('a 10 MB line is dropped and counted with bounded memory; the next message arrives', async () => {
    const h = await start('');
    const c = await tcpClient(h.port);
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    c.write('<13>1 - - - - - - ');
    for (let i = 0; i < 10; i++) c.write(chunk);
    c.write('\n<13>1 - - - - - - after\n');
    await h.waitFor(1);
    c.end();
    assert.equal(h.entries[0]!.line, 'after');
    assert.equal(await h.counter('promtail_syslog_target_parsing_errors_total'), 1);
  });

  test('a 10 MB octet-counted frame ends the connection at its header', async () => {
    const h = await start('');
    const c = await tcpClient(h.port);
    c.write(`${10 * 1024 * 1024} <13>1 - - - - - - `);
    c.write(Buffer.alloc(64 * 1024, 'x'));
    await closed(c);
    assert.equal(await h.counter('promtail_syslog_target_parsing_errors_total'), 1);
    assert.deepEqual(h.entries, []);
  });

  test('many connections at once', async () => {
    const h = await start('');
    const clients = await Promise.all(Array.from({ length: 200 }, () => tcpClient(h.port)));
    clients.forEach((c, i) => {
      c.end(octet(`<13>1 - - - - - - from ${i}`));
    });
    await h.waitFor(200);
    assert.deepEqual(new Set(h.entries.map((e) => e.line)).size, 200);
    assert.equal(h.target.status().details.connections_total, 200);
  });

  test('relabel_configs can drop messages; __ labels never reach the entry', async () => {
    const h = await start('labels: {job: j}', {
      relabel: [
        '- source_labels: [__syslog_message_app_name]',
        '  regex: noisy',
        '  action: drop',
        '- source_labels: [__syslog_message_app_name]',
        '  target_label: app',
      ].join('\n'),
    });
    const c = await tcpClient(h.port);
    c.end('<13>1 - h noisy - - - a\n<13>1 - h quiet - - - b\n');
    await h.waitFor(1);
    assert.deepEqual(
      h.entries.map((e) => [e.line, e.labels]),
      [['b', { job: 'j', app: 'quiet' }]],
    );
  });

  test('reading pauses while the in-flight budget is full and resumes once entries are released', async () => {
    const budget = new InFlightBudget(4096);
    const h = await start('', { budget });
    const c = await tcpClient(h.port);
    const total = 5000;
    let text = '';
    for (let i = 0; i < total; i++) text += `<13>1 - - - - - - message number ${i}\n`;
    c.write(text);
    await h.waitFor(40);
    // The budget is full: the target stopped short of everything sent, holding little.
    assert.ok(budget.full);
    await new Promise<void>((resolve) => setImmediate(resolve));
    const held = h.entries.length;
    assert.ok(held < total, `paused (${held} of ${total} read)`);
    let released = 0;
    const drain = () => {
      while (released < h.entries.length) h.entries[released++]!.delivery!.release();
    };
    const timer = setInterval(drain, 1);
    await h.waitFor(total);
    clearInterval(timer);
    drain();
    c.end();
    assert.equal(budget.bytes, 0);
    assert.equal(h.entries[total - 1]!.line, `message number ${total - 1}`);
  });
});

describe('syslog target over UDP', () => {
  test('one message per datagram, several lines in one, labels', async () => {
    const h = await startTarget('listen_protocol: udp\nlabels: {job: u}', { relabel: mapAll });
    try {
      assert.notEqual(h.port, 0);
      const s = createSocket('udp4');
      const send = (m: string) =>
        new Promise<void>((resolve, reject) =>
          s.send(m, h.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        );
      await send('<11>1 2024-01-01T00:00:00Z host app 9 - - first');
      await send('<11>1 - - - - - - a\n<11>1 - - - - - - b\n');
      await send('garbage');
      await send(octet('<11>1 - - - - - - counted'));
      await h.waitFor(4);
      s.close();
      assert.deepEqual(
        h.entries.map((e) => e.line),
        ['first', 'a', 'b', 'counted'],
      );
      assert.equal(h.entries[0]!.labels.message_severity, 'error');
      assert.equal(h.entries[0]!.labels.connection_ip_address, '127.0.0.1');
      assert.equal(h.entries[0]!.labels.message_proc_id, '9');
      assert.equal(await h.counter('promtail_syslog_target_parsing_errors_total'), 1);
    } finally {
      await h.stop();
    }
  });

  test('while the in-flight budget is full datagrams are dropped and counted', async () => {
    const budget = new InFlightBudget(100);
    const h = await startTarget('listen_protocol: udp', { budget });
    try {
      const s = createSocket('udp4');
      const send = (m: string) =>
        new Promise<void>((resolve, reject) =>
          s.send(m, h.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        );
      await send(`<11>1 - - - - - - first ${'x'.repeat(100)}`);
      await h.waitFor(1);
      assert.ok(budget.full);
      await send('<11>1 - - - - - - dropped');
      // Nothing arrives for a dropped datagram: wait until the counter shows it.
      while ((await h.counter('logferry_syslog_dropped_datagrams_total')) < 1) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      h.entries[0]!.delivery!.release();
      assert.equal(budget.full, false);
      await send('<11>1 - - - - - - third');
      await h.waitFor(2);
      s.close();
      assert.deepEqual(
        h.entries.map((e) => e.line.slice(0, 5)),
        ['first', 'third'],
      );
      assert.equal(await h.counter('logferry_syslog_dropped_datagrams_total'), 1);
    } finally {
      await h.stop();
    }
  });
});

describe('stopping', () => {
  test('stop() closes open connections and the listener', async () => {
    const h = await startTarget('');
    const c = await tcpClient(h.port);
    c.write('<13>1 - - - - - - before stop\n');
    await h.waitFor(1);
    await h.stop();
    await closed(c);
    assert.equal(h.target.status().ready, false);
    await assert.rejects(tcpClient(h.port));
  });
});
