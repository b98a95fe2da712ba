import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportParser, type ExportRecord } from '../../../src/targets/journal/export-parser.js';
import { exportField } from '../../support/journal-writer.js';

function parse(input: Buffer, chunk = input.length, maxFieldBytes?: number) {
  const records: ExportRecord[] = [];
  const errors: string[] = [];
  const p = new ExportParser(
    (r) => records.push(r),
    (e) => errors.push(e),
    { maxFieldBytes, maxFields: 100 },
  );
  for (let i = 0; i < input.length; i += chunk) p.push(input.subarray(i, i + chunk));
  p.end();
  return { records, errors, parser: p };
}

const fields = (r: ExportRecord) => r.names.map((n, i) => [n, r.values[i]!.toString('latin1')]);

const sample = Buffer.concat([
  Buffer.from('__CURSOR=s=1;i=1\n__REALTIME_TIMESTAMP=1700000000000001\n'),
  exportField('MESSAGE', 'multi\nline'),
  exportField('BIN', Buffer.from([0, 1, 2, 0xff, 10, 10])),
  Buffer.from('EMPTY=\nEQ=a=b\n\n'),
  Buffer.from('__CURSOR=s=1;i=2\nMESSAGE=second\n\n'),
]);

describe('journal export parser', () => {
  it('reads text and binary fields whatever the chunk boundaries', () => {
    for (const chunk of [1, 2, 3, 7, 8, 9, 64, sample.length]) {
      const { records, errors } = parse(sample, chunk);
      assert.deepEqual(errors, [], `chunk ${chunk}`);
      assert.deepEqual(
        records.map(fields),
        [
          [
            ['__CURSOR', 's=1;i=1'],
            ['__REALTIME_TIMESTAMP', '1700000000000001'],
            ['MESSAGE', 'multi\nline'],
            ['BIN', '\x00\x01\x02\xff\n\n'],
            ['EMPTY', ''],
            ['EQ', 'a=b'],
          ],
          [
            ['__CURSOR', 's=1;i=2'],
            ['MESSAGE', 'second'],
          ],
        ],
        `chunk ${chunk}`,
      );
      assert.equal(
        records.reduce((s, r) => s + r.bytes, 0),
        sample.length,
        `every byte is counted in an entry (chunk ${chunk})`,
      );
    }
  });

  it('keeps at most maxFieldBytes of a huge field, text or binary, and reports its size', () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const input = Buffer.concat([
      exportField('BIG', huge),
      Buffer.from('TEXT='),
      huge,
      Buffer.from('\nMESSAGE=after\n\n'),
    ]);
    const { records, errors } = parse(input, 65536, 1000);
    assert.deepEqual(errors, []);
    assert.equal(records.length, 1);
    const r = records[0]!;
    assert.deepEqual(r.names, ['BIG', 'TEXT', 'MESSAGE']);
    assert.deepEqual(
      r.values.map((v) => v.length),
      [1000, 1000, 5],
    );
    assert.deepEqual(r.sizes, [huge.length, huge.length, 5]);
  });

  const after = Buffer.from('MESSAGE=next\n\n');
  const cases: [string, Buffer, RegExp][] = [
    [
      'binary size beyond any journal field',
      Buffer.from('M\n\xff\xff\xff\xff\xff\xff\xff\xff\n\n', 'latin1'),
      /claims/,
    ],
    [
      'binary value not followed by a newline',
      Buffer.from('M\n\x01\0\0\0\0\0\0\0ab\n\n', 'latin1'),
      /not followed by a newline/,
    ],
    ['control byte in a name', Buffer.from('ME\x01SSAGE=x\n\n', 'latin1'), /invalid byte 0x1/],
    ['name too long', Buffer.from(`${'A'.repeat(300)}=x\n\n`), /longer than 256/],
    ['empty name', Buffer.from('=x\n\n'), /empty name/],
    ['too many fields', Buffer.from(`${'F=1\n'.repeat(101)}\n`), /more than 100 fields/],
  ];
  for (const [name, bad, reason] of cases) {
    it(`skips a malformed entry (${name}), counts it and reads the next`, () => {
      for (const chunk of [1, 5, 1 << 20]) {
        const { records, errors, parser } = parse(Buffer.concat([bad, after]), chunk);
        assert.equal(errors.length, 1, `chunk ${chunk}: ${errors}`);
        assert.match(errors[0]!, reason);
        assert.equal(parser.errors, 1);
        assert.deepEqual(records.map(fields), [[['MESSAGE', 'next']]], `chunk ${chunk}`);
      }
    });
  }

  it('reports a stream that ends inside an entry, then reads a new stream from its start', () => {
    for (const cut of ['MESSAGE=a\n\nMESSAGE=b\n', 'MESSAGE=a\n\nM\n\xff\xff\xff\xff\xff\xff\xff\xff']) {
      const records: ExportRecord[] = [];
      const errors: string[] = [];
      const p = new ExportParser(
        (r) => records.push(r),
        (e) => errors.push(e),
      );
      p.push(Buffer.from(cut, 'latin1'));
      p.end();
      p.push(Buffer.from('MESSAGE=c\n\n'));
      assert.deepEqual(
        records.map((r) => r.values[0]!.toString()),
        ['a', 'c'],
      );
      assert.equal(errors.length, 1);
    }
  });

  it('survives random garbage without throwing or holding more than its limits', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const garbage = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < garbage.length; i++) {
      const r = rand() % 100;
      garbage[i] = r < 30 ? 0x41 + (r % 26) : r < 40 ? 0x3d : r < 50 ? 0x0a : rand() & 0xff;
    }
    const records: ExportRecord[] = [];
    const p = new ExportParser(
      (r) => records.push(r),
      () => {},
      { maxFieldBytes: 4096, maxFields: 64 },
    );
    for (let i = 0; i < garbage.length; i += 4099) p.push(garbage.subarray(i, i + 4099));
    p.push(after);
    p.end();
    assert.ok(p.errors > 0);
    for (const r of records) {
      assert.ok(r.names.length <= 64);
      assert.ok(r.values.every((v) => v.length <= 4096));
    }
  });
});
