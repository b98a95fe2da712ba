import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigNode } from '../../../src/config/reader.js';
import { parseJournalConfig } from '../../../src/targets/journal/config.js';
import { entryJson, goString, journalLabels, jsonString } from '../../../src/targets/journal/fields.js';

const b = (...bytes: number[]) => Buffer.from(bytes);

describe('journal fields as Promtail sees them', () => {
  it('decodes bytes as Go shows them: one U+FFFD per byte of an invalid sequence', () => {
    const table: [Buffer, string][] = [
      [Buffer.from('plain é ✓ 😀'), 'plain é ✓ 😀'],
      [b(0x61, 0xff, 0x62), 'a\ufffdb'],
      [b(0xe2, 0x82, 0x61), '\ufffd\ufffda'], // truncated 3-byte sequence: two bytes, two U+FFFD
      [b(0xed, 0xa0, 0x80), '\ufffd\ufffd\ufffd'], // a surrogate encoded in UTF-8
      [b(0xf0, 0x9f, 0x98), '\ufffd\ufffd\ufffd'],
      [b(0xc0, 0xaf), '\ufffd\ufffd'], // overlong
    ];
    for (const [input, want] of table) assert.equal(goString(input), want, input.toString('hex'));
  });

  it('writes JSON strings as Go encoding/json with HTML escaping', () => {
    const table: [Buffer, string][] = [
      [Buffer.from('a"b\\c'), '"a\\"b\\\\c"'],
      [Buffer.from('\n\r\t\b\f\u0000\u001f\u007f'), '"\\n\\r\\t\\u0008\\u000c\\u0000\\u001f\u007f"'],
      [Buffer.from('<a href="x">&amp;</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e"'],
      [Buffer.from('\u2028\u2029\u2027'), '"\\u2028\\u2029\u2027"'],
      [b(0x66, 0xff, 0xe2, 0x82), '"f\\ufffd\\ufffd\\ufffd"'],
      [Buffer.from('é😀'), '"é😀"'],
    ];
    for (const [input, want] of table) assert.equal(jsonString(input), want, input.toString('hex'));
    assert.equal(
      entryJson(
        new Map([
          ['_PID', Buffer.from('1')],
          ['MESSAGE', Buffer.from('hi')],
          ['A', Buffer.from('')],
        ]),
      ),
      '{"A":"","MESSAGE":"hi","_PID":"1"}',
    );
  });

  it('names labels __journal_<field lowercased> with the priority keyword', () => {
    const labels = journalLabels(
      new Map([
        ['PRIORITY', Buffer.from('4')],
        ['_SYSTEMD_UNIT', Buffer.from('a.service')],
        ['SYSLOG_IDENTIFIER', Buffer.from('a')],
      ]),
    );
    assert.deepEqual(labels, {
      __journal_priority: '4',
      __journal_priority_keyword: 'warning',
      __journal__systemd_unit: 'a.service',
      __journal_syslog_identifier: 'a',
    });
  });

  it('reads the journal block with Promtail keys and defaults, refusing bad matches on their line', () => {
    const parse = (yaml: string) => parseJournalConfig(ConfigNode.parse(yaml, 'c.yaml').get('journal'));
    assert.deepEqual(parse('journal: {}\n'), {
      json: false,
      maxAgeMs: 7 * 3600_000,
      path: undefined,
      matches: [],
      labels: {},
    });
    assert.deepEqual(
      parse(
        'journal:\n  json: true\n  max_age: 12h\n  path: /var/log/journal\n  matches: "_TRANSPORT=kernel  PRIORITY=3"\n  labels: {job: systemd-journal}\n',
      ),
      {
        json: true,
        maxAgeMs: 12 * 3600_000,
        path: '/var/log/journal',
        matches: [
          { field: '_TRANSPORT', value: 'kernel' },
          { field: 'PRIORITY', value: '3' },
        ],
        labels: { job: 'systemd-journal' },
      },
    );
    assert.throws(
      () => parse('journal:\n  path: /x\n  matches: a=b=c\n'),
      /c\.yaml:3.*"a=b=c" is not FIELD=value/,
    );
    assert.throws(() => parse('journal:\n  matches: unit=x\n'), /invalid journal field name "unit"/);
    assert.throws(() => parse('journal:\n  max_age: soon\n'), /invalid duration/);
    assert.throws(() => parse('journal:\n  format: x\n'), /unknown key/);
  });
});
