import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigNode } from '../../../src/config/reader.js';
import { InFlightBudget } from '../../../src/positions/acks.js';
import { parseRelabelRules } from '../../../src/relabel/relabel.js';
import { ExportParser } from '../../../src/targets/journal/export-parser.js';
import { entryData, entryDataFromJson, promtailEntry } from '../../../src/targets/journal/fields.js';
import { startHarness } from '../../support/journal-harness.js';
import { type ExportEntry, usAgo, writeJournal } from '../../support/journal-writer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-journal-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = path.join(root, `case${n++}`);
  fs.mkdirSync(dir);
  return { dir, journal: path.join(dir, 'journal'), positions: path.join(dir, 'positions.yaml') };
};

function job(journalDir: string, extra = '', journal = ''): string {
  return `job_name: systemd
journal:
  path: ${journalDir}
  labels:
    job: systemd-journal
${journal}${extra}`;
}

const msg = (m: string, ago: number, more: [string, string | Buffer][] = []): ExportEntry => ({
  realtimeUs: usAgo(ago),
  fields: [['MESSAGE', m], ['PRIORITY', '6'], ...more],
});

/** The cursors journalctl gives the entries of a directory, in order. */
function cursors(dir: string): string[] {
  const out = execFileSync('journalctl', ['-D', dir, '--merge', '--output=export', '--no-pager']);
  return out
    .toString('latin1')
    .split('\n')
    .filter((l) => l.startsWith('__CURSOR='))
    .map((l) => l.slice('__CURSOR='.length));
}

describe('journal target', () => {
  it('gives every field as a __journal_ label, MESSAGE as the line and the realtime timestamp, as Promtail', async () => {
    const c = fresh();
    const t0 = usAgo(5000);
    const big = 'x'.repeat(70_000);
    await writeJournal(c.journal, 'a.journal', [
      {
        realtimeUs: t0,
        fields: [
          ['MESSAGE', 'Accepted publickey for root'],
          ['PRIORITY', '6'],
          ['SYSLOG_IDENTIFIER', 'sshd'],
          ['_SYSTEMD_UNIT', 'ssh.service'],
          ['_HOSTNAME', 'node-1'],
          ['FOO', 'a'],
          ['FOO', 'b'],
        ],
      },
      {
        realtimeUs: t0 + 1n,
        fields: [
          ['MESSAGE', 'line one\nline two\n'],
          ['PRIORITY', '3'],
        ],
      },
      {
        realtimeUs: t0 + 2n,
        fields: [
          ['MESSAGE', Buffer.from([0x62, 0x69, 0x6e, 0xff, 0xfe, 0x00, 0x78])],
          ['PRIORITY', '9'],
        ],
      },
      {
        realtimeUs: t0 + 3n,
        fields: [
          ['CODE_LINE', '12'],
          ['PRIORITY', '7'],
        ],
      }, // no MESSAGE: skipped
      {
        realtimeUs: t0 + 4n,
        fields: [
          ['MESSAGE', big],
          ['PRIORITY', '0'],
        ],
      },
    ]);
    const h = startHarness(
      job(
        c.journal,
        `relabel_configs:
  - action: labelmap
    regex: __journal_(.+)
  - action: labeldrop
    regex: message|_boot_id
`,
      ),
      c.positions,
    );
    await h.target.start();
    assert.equal(h.target.status().ready, true);
    const got = await h.waitFor(4);
    await h.close();
    assert.deepEqual(
      got.map((e) => e.labels),
      [
        {
          job: 'systemd-journal',
          priority: '6',
          priority_keyword: 'info',
          syslog_identifier: 'sshd',
          _systemd_unit: 'ssh.service',
          _hostname: 'node-1',
          foo: 'b',
        },
        { job: 'systemd-journal', priority: '3', priority_keyword: 'error' },
        { job: 'systemd-journal', priority: '9', priority_keyword: '9' },
        { job: 'systemd-journal', priority: '0', priority_keyword: 'emerg' },
      ],
    );
    assert.deepEqual(
      got.map((e) => e.line.slice(0, 30)),
      ['Accepted publickey for root', 'line one\nline two\n', 'bin\ufffd\ufffd\u0000x', 'x'.repeat(30)],
    );
    // journal-remote compresses the 70 kB field (zstd); journalctl decompresses it whole, and the
    // target cuts it where sd-journal (Promtail) does: the first 64 KiB of MESSAGE=...
    assert.match(
      execFileSync('journalctl', ['-D', c.journal, '--header']).toString(),
      /COMPRESSED-(ZSTD|LZ4|XZ)/,
    );
    const whole = execFileSync('journalctl', [
      '-D',
      c.journal,
      '--merge',
      '-o',
      'cat',
      '--all',
      'PRIORITY=0',
    ]);
    assert.equal(whole.length, big.length + 1);
    assert.equal(got[3]!.line, 'x'.repeat(65536 - 'MESSAGE='.length));
    assert.deepEqual(
      got.map((e) => e.timestamp),
      [t0 * 1000n, (t0 + 1n) * 1000n, (t0 + 2n) * 1000n, (t0 + 4n) * 1000n],
    );
    assert.ok(got.every((e) => e.delivery !== undefined));
    const text = await h.metrics.registry.metrics();
    assert.match(text, /promtail_journal_target_lines_total 4/);
    assert.match(text, /promtail_journal_target_parsing_errors_total\{error="no_message"\} 1/);
  });

  it('without relabel_configs keeps only the job labels; an entry left without labels is dropped and counted', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [msg('one', 3000), msg('two', 2000)]);
    const h = startHarness(
      `job_name: bare
journal:
  path: ${c.journal}
  labels:
    job: j
relabel_configs:
  - source_labels: [__journal_message]
    regex: two
    action: drop
`,
      c.positions,
    );
    await h.target.start();
    const got = await h.waitFor(1);
    await h.close();
    assert.deepEqual(
      got.map((e) => [e.labels, e.line]),
      [[{ job: 'j' }, 'one']],
    );
    assert.match(await h.metrics.registry.metrics(), /parsing_errors_total\{error="empty_labels"\} 1/);
  });

  it('json: true writes the entry as Promtail does (sorted keys, HTML and control escapes, \\ufffd per bad byte)', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [
      {
        realtimeUs: usAgo(1000),
        fields: [
          ['MESSAGE', 'a <b> & "c"\n\td\\'],
          ['PRIORITY', '6'],
          ['_SYSTEMD_UNIT', 'x.service'],
          ['BIN', Buffer.from([0x66, 0xff, 0xe2, 0x80, 0xa8, 0x01, 0xe2, 0x82])],
          ['FOO', 'a'],
          ['FOO', 'b'],
        ],
      },
      { realtimeUs: usAgo(900), fields: [['PRIORITY', '5']] }, // no MESSAGE: still an entry in json mode
    ]);
    const h = startHarness(job(c.journal, '', '  json: true\n'), c.positions);
    await h.target.start();
    const got = await h.waitFor(2);
    await h.close();
    assert.equal(
      got[0]!.line,
      '{"BIN":"f\\ufffd\\u2028\\u0001\\ufffd\\ufffd","FOO":"b","MESSAGE":"a \\u003cb\\u003e \\u0026 \\"c\\"\\n\\td\\\\",' +
        '"PRIORITY":"6","_BOOT_ID":"0123456789abcdef0123456789abcdef","_SYSTEMD_UNIT":"x.service"}',
    );
    assert.equal(got[1]!.line, '{"PRIORITY":"5","_BOOT_ID":"0123456789abcdef0123456789abcdef"}');
    assert.deepEqual(got[0]!.labels, { job: 'systemd-journal' });
  });

  it('matches: the same field ORed, different fields ANDed, as journalctl', async () => {
    const c = fresh();
    const unit = (m: string, u: string, p: string): ExportEntry => ({
      realtimeUs: usAgo(2000),
      fields: [
        ['MESSAGE', m],
        ['PRIORITY', p],
        ['_SYSTEMD_UNIT', u],
      ],
    });
    await writeJournal(c.journal, 'a.journal', [
      unit('a3', 'a.service', '3'),
      unit('b3', 'b.service', '3'),
      unit('c3', 'c.service', '3'),
      unit('a6', 'a.service', '6'),
      unit('b3again', 'b.service', '3'),
    ]);
    const h = startHarness(
      job(c.journal, '', '  matches: _SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=b.service PRIORITY=3\n'),
      c.positions,
    );
    await h.target.start();
    const got = await h.waitFor(3);
    await h.close();
    assert.deepEqual(
      got.map((e) => e.line),
      ['a3', 'b3', 'b3again'],
    );
  });

  it('without a position starts max_age ago; a saved cursor older than max_age or unreadable is not used', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [
      msg('3h ago', 3 * 3600_000),
      msg('2h ago', 2 * 3600_000),
      msg('10m ago', 600_000),
      msg('1m ago', 60_000),
    ]);
    const yaml = job(c.journal, '', '  max_age: 1h\n');
    const h = startHarness(yaml, c.positions);
    await h.target.start();
    assert.deepEqual(
      (await h.waitFor(2)).map((e) => e.line),
      ['10m ago', '1m ago'],
    );
    await h.close();

    for (const saved of [cursors(c.journal)[0]!, 'bogus']) {
      fs.writeFileSync(c.positions, `positions:\n  cursor-systemd: ${JSON.stringify(saved)}\n`);
      const again = startHarness(yaml, c.positions);
      await again.target.start();
      assert.deepEqual(
        (await again.waitFor(2)).map((e) => e.line),
        ['10m ago', '1m ago'],
        `saved ${saved}`,
      );
      await again.close();
      assert.match(
        again.logs.join(''),
        saved === 'bogus' ? /error reading saved journal position/ : /older than max_age/,
      );
    }
  });

  it('restarts from the cursor of the last acknowledged entry: nothing lost, nothing repeated, and follows new files', async () => {
    const c = fresh();
    await writeJournal(
      c.journal,
      'a.journal',
      Array.from({ length: 10 }, (_, i) => msg(`m${i}`, 10_000 - i)),
    );
    const all = cursors(c.journal);
    const first = startHarness(job(c.journal), c.positions);
    await first.target.start();
    const got = await first.waitFor(10);
    // Clients acknowledged m0..m5 and m8; m6, m7 and m9 are still in flight at the crash.
    for (const i of [0, 1, 2, 3, 4, 5, 8]) got[i]!.delivery!.release();
    await first.close();
    assert.equal(first.positions.getString('cursor-systemd'), all[5]);
    assert.match(fs.readFileSync(c.positions, 'utf8'), /"?cursor-systemd"?: "s=/);

    const second = startHarness(job(c.journal), c.positions);
    await second.target.start();
    const again = await second.waitFor(4);
    assert.deepEqual(
      again.map((e) => e.line),
      ['m6', 'm7', 'm8', 'm9'],
    );
    for (const e of again) e.delivery!.release();
    assert.equal(second.positions.getString('cursor-systemd'), all[9]);
    // While it follows, a new journal file appears (as after a rotation).
    await writeJournal(c.journal, 'b.journal', [msg('n0', 500), msg('n1', 400)]);
    const more = await second.waitFor(6);
    assert.deepEqual(
      more.slice(4).map((e) => e.line),
      ['n0', 'n1'],
    );
    for (const e of more.slice(4)) e.delivery!.release();
    await second.close();

    const third = startHarness(job(c.journal), c.positions);
    await third.target.start();
    await writeJournal(c.journal, 'c.journal', [msg('p0', 100)]);
    const last = await third.waitFor(1);
    await third.close();
    assert.deepEqual(
      last.map((e) => e.line),
      ['p0'],
    );
  });

  it('when journalctl dies, reports it, starts it again after the last entry read, and repeats nothing', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [msg('a0', 3000), msg('a1', 2000)]);
    const h = startHarness(job(c.journal), c.positions, { restartDelayMs: 50 });
    await h.target.start();
    await h.waitFor(2);
    const children = () =>
      fs
        .readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number)
        .filter((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(c.journal));
    const [pid] = children();
    assert.ok(pid, 'journalctl runs as a child');
    process.kill(pid, 'SIGKILL');
    await writeJournal(c.journal, 'b.journal', [msg('b0', 500)]);
    const got = await h.waitFor(3);
    await h.close();
    assert.deepEqual(
      got.map((e) => e.line),
      ['a0', 'a1', 'b0'],
    );
    assert.match(h.logs.join(''), /level=error.*cannot read the journal.*journalctl exited \(SIGKILL\)/);
  });

  it('reads journalctl --output=json into the same labels, lines and timestamps as the export (for the dry-run tools)', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [
      msg('plain', 3000, [['_SYSTEMD_UNIT', 'a.service']]),
      msg('two\nlines', 2000, [
        ['FOO', 'a'],
        ['FOO', 'b'],
      ]),
      {
        realtimeUs: usAgo(1000),
        fields: [
          ['MESSAGE', Buffer.from([0x61, 0xff, 0x0a])],
          ['BIG', 'z'.repeat(70_000)],
        ],
      },
    ]);
    const config = { json: false, labels: { job: 'j' } };
    const rules = parseRelabelRules(
      ConfigNode.parse('r:\n  - action: labelmap\n    regex: __journal_(.+)\n', 't.yaml').get('r'),
    );
    const viaExport: unknown[] = [];
    const parser = new ExportParser(
      (r) => {
        const d = entryData(r);
        viaExport.push([d.realtimeUs, promtailEntry(d.fields, config, rules)]);
      },
      (e) => assert.fail(e),
    );
    parser.push(execFileSync('journalctl', ['-D', c.journal, '--merge', '--output=export']));
    parser.end();
    const viaJson = execFileSync('journalctl', ['-D', c.journal, '--merge', '--output=json', '--all'])
      .toString()
      .trim()
      .split('\n')
      .map((l) => {
        const d = entryDataFromJson(JSON.parse(l) as Record<string, unknown>);
        return [d.realtimeUs, promtailEntry(d.fields, config, rules)];
      });
    assert.equal(viaExport.length, 3);
    assert.deepEqual(viaJson, viaExport);
  });

  it('takes over a Promtail positions file that still uses the old journal-<job> key', async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [msg('old', 2000), msg('new', 1000)]);
    fs.writeFileSync(
      c.positions,
      `positions:\n  journal-systemd: ${JSON.stringify(cursors(c.journal)[0])}\n`,
    );
    const h = startHarness(job(c.journal), c.positions);
    await h.target.start();
    const got = await h.waitFor(1);
    got[0]!.delivery!.release();
    await h.close();
    assert.deepEqual(
      got.map((e) => e.line),
      ['new'],
    );
    assert.equal(h.positions.getString('cursor-systemd'), cursors(c.journal)[1]);
  });

  it('stops reading journalctl while the in-flight budget is full, and resumes as entries are released', async () => {
    const c = fresh();
    const total = 3000;
    await writeJournal(
      c.journal,
      'a.journal',
      Array.from({ length: total }, (_, i) => msg(`entry ${i} ${'y'.repeat(200)}`, 60_000 - i)),
    );
    const budget = new InFlightBudget(32 * 1024);
    const h = startHarness(job(c.journal), c.positions, { budget });
    await h.target.start();
    await h.waitFor(50);
    // Give journalctl every chance to push more: nothing is released, so reading must stay paused.
    await new Promise((r) => setTimeout(r, 300));
    const held = h.received.length;
    assert.ok(budget.full, 'budget full');
    assert.ok(held < 1000, `read ${held} entries with nothing released`);
    // stop() while reading is paused returns, and hands on nothing more.
    await h.target.stop();
    assert.equal(h.received.length, held);
    assert.equal(h.target.status().ready, false);
    await h.target.start();
    for (const e of h.received) e.delivery!.release();
    let released = held;
    const done = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        for (; released < h.received.length; released++) h.received[released]!.delivery!.release();
        if (released >= total) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    await done;
    await h.close();
    assert.deepEqual(
      h.received.map((e) => e.line.split(' ')[1]),
      Array.from({ length: total }, (_, i) => String(i)),
    );
  });

  it('says which permission is missing when run as a user who may not read the journal', {
    skip: process.getuid?.() !== 0 && 'switching to nobody needs root',
  }, async () => {
    const c = fresh();
    await writeJournal(c.journal, 'a.journal', [msg('secret', 1000)]);
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-journal-perm-'));
    fs.chmodSync(shared, 0o777);
    after(() => fs.rmSync(shared, { recursive: true, force: true }));
    const asNobody = (dir: string, name: string) => {
      const out = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.resolve('test/support/journal-status-child.ts'),
          dir,
          path.join(shared, name),
        ],
        { uid: 65534, gid: 65534, cwd: path.resolve('.') },
      );
      return JSON.parse(out.toString()) as {
        status: { ready: boolean; details: { error?: string } };
        logs: string;
        received: number;
      };
    };
    // The directory itself is closed (the test's temporary directories are root's, mode 0700).
    const closed = asNobody(c.journal, 'a.yaml');
    assert.equal(closed.status.ready, false);
    assert.match(
      String(closed.status.details.error),
      /no permission to read journal directory .*systemd-journal group/,
    );
    assert.match(closed.logs, /level=error.*cannot read the journal/);
    // An open directory whose journal files are not readable: journalctl says so and stops.
    const open = path.join(shared, 'journal');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    fs.copyFileSync(path.join(c.journal, 'a.journal'), path.join(open, 'a.journal'));
    fs.chmodSync(path.join(open, 'a.journal'), 0o600);
    const files = asNobody(open, 'b.yaml');
    assert.equal(files.status.ready, false);
    assert.match(String(files.status.details.error), /insufficient permissions/);
    assert.equal(files.received, 0);
  });

  it('says clearly when no journal can be read, and never throws', async () => {
    const c = fresh();
    const missing = startHarness(job(path.join(c.dir, 'nope')), c.positions);
    await missing.target.start();
    const s = missing.target.status();
    assert.equal(s.ready, false);
    assert.match(String(s.details.error), /journal directory .*nope does not exist/);
    assert.match(missing.logs.join(''), /level=error.*cannot read the journal.*nope does not exist/);
    await missing.close();

    await writeJournal(c.journal, 'a.journal', [msg('x', 1000)]);
    const noTool = startHarness(job(c.journal), c.positions, {
      journalctl: path.join(c.dir, 'no-journalctl'),
    });
    await noTool.target.start();
    assert.equal(noTool.target.status().ready, false);
    assert.match(String(noTool.target.status().details.error), /no-journalctl: not found/);
    assert.match(noTool.logs.join(''), /level=error.*cannot read the journal/);
    await noTool.close();

    const defaults = startHarness('job_name: sys\njournal: {}\n', c.positions, {
      systemDirectories: [path.join(c.dir, 'var-log-journal'), path.join(c.dir, 'run-log-journal')],
    });
    await defaults.target.start();
    assert.equal(defaults.target.status().ready, false);
    assert.match(
      String(defaults.target.status().details.error),
      /var-log-journal does not exist; .*run-log-journal does not exist/,
    );
    await defaults.close();
  });
});
