// Go's time.Parse / Time.Format semantics; the tables are the cases of Go's own
// src/time/format_test.go, with Local set to America/Los_Angeles as Go's tests do.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addDate,
  compileLayout,
  FixedZone,
  formatTime,
  loadLocation,
  namedLayouts,
  type ParsedTime,
  parseTime,
  TimeParseError,
  UTC,
  wallClock,
} from '../../src/go/time/index.js';

const L = namedLayouts as Record<string, string>;
const pacific = loadLocation('America/Los_Angeles');

function mustParse(layout: string, value: string, options = {}): ParsedTime {
  const r = parseTime(layout, value, options);
  if (r instanceof TimeParseError) assert.fail(r.message);
  return r;
}

describe('layout tokenizer (Go nextStdChunk)', () => {
  const marked = [
    '(2006)-(01)-(02)T(15):(04):(05)(Z07:00)',
    '(2006)-(01)-(02) (002) (15):(04):(05)',
    '(2006)-(01) (002) (15):(04):(05)',
    '(2006)-(002) (15):(04):(05)',
    '(2006)(002)(01) (15):(04):(05)',
    '(2006)(002)(04) (15):(04):(05)',
    '(Mon) (Jan) (_2) (15):(04):(05)(.000) (MST) (2006)',
    'Hi Janet, the Month is (January)',
    '(15):(04)_(2006)(01)(02)',
    '(Monday), (02)-(Jan)-(06) (03)(PM)(pm) (-07:00:00)(-070000)(-0700)(-07:00)(-07)',
    '(Z07:00:00)(Z070000)(Z0700)(Z07:00)(Z07) (__2)(,999) .00(01)',
  ];
  for (const m of marked) {
    it(m.replace(/[()]/g, ''), () => {
      const layout = m.replace(/[()]/g, '');
      const out = compileLayout(layout)
        .chunks.map((c) => c.prefix + (c.std ? `(${c.text})` : ''))
        .join('');
      assert.equal(out, m);
    });
  }
});

describe('parseTime: Go parseTests (Thu Feb 4 21:00:57 PST 2010)', () => {
  // [name, layout, value, hasTZ, hasWD, yearSign, fracDigits]
  const tests: [string, string, string, boolean, boolean, number, number][] = [
    ['ANSIC', L.ANSIC!, 'Thu Feb  4 21:00:57 2010', false, true, 1, 0],
    ['UnixDate', L.UnixDate!, 'Thu Feb  4 21:00:57 PST 2010', true, true, 1, 0],
    ['RubyDate', L.RubyDate!, 'Thu Feb 04 21:00:57 -0800 2010', true, true, 1, 0],
    ['RFC850', L.RFC850!, 'Thursday, 04-Feb-10 21:00:57 PST', true, true, 1, 0],
    ['RFC1123', L.RFC1123!, 'Thu, 04 Feb 2010 21:00:57 PST', true, true, 1, 0],
    ['RFC1123 PDT', L.RFC1123!, 'Thu, 04 Feb 2010 22:00:57 PDT', true, true, 1, 0],
    ['RFC1123Z', L.RFC1123Z!, 'Thu, 04 Feb 2010 21:00:57 -0800', true, true, 1, 0],
    ['RFC3339', L.RFC3339!, '2010-02-04T21:00:57-08:00', true, false, 1, 0],
    ['custom -07', '2006-01-02 15:04:05-07', '2010-02-04 21:00:57-08', true, false, 1, 0],
    ['ANSIC .0', L.ANSIC!, 'Thu Feb  4 21:00:57.0 2010', false, true, 1, 1],
    ['UnixDate .01', L.UnixDate!, 'Thu Feb  4 21:00:57.01 PST 2010', true, true, 1, 2],
    ['RubyDate .012', L.RubyDate!, 'Thu Feb 04 21:00:57.012 -0800 2010', true, true, 1, 3],
    ['RFC850 .0123', L.RFC850!, 'Thursday, 04-Feb-10 21:00:57.0123 PST', true, true, 1, 4],
    ['RFC1123 .01234', L.RFC1123!, 'Thu, 04 Feb 2010 21:00:57.01234 PST', true, true, 1, 5],
    ['RFC1123Z .01234', L.RFC1123Z!, 'Thu, 04 Feb 2010 21:00:57.01234 -0800', true, true, 1, 5],
    ['RFC3339 .9 digits', L.RFC3339!, '2010-02-04T21:00:57.012345678-08:00', true, false, 1, 9],
    ['custom .0', '2006-01-02 15:04:05', '2010-02-04 21:00:57.0', false, false, 1, 0],
    ['white space 1', L.ANSIC!, 'Thu Feb 4 21:00:57 2010', false, true, 1, 0],
    ['white space n', L.ANSIC!, 'Thu      Feb     4     21:00:57     2010', false, true, 1, 0],
    ['upper case', L.ANSIC!, 'THU FEB 4 21:00:57 2010', false, true, 1, 0],
    ['lower case', L.ANSIC!, 'thu feb 4 21:00:57 2010', false, true, 1, 0],
    ['ms dot', 'Mon Jan _2 15:04:05.000 2006', 'Thu Feb  4 21:00:57.012 2010', false, true, 1, 3],
    ['us dot', 'Mon Jan _2 15:04:05.000000 2006', 'Thu Feb  4 21:00:57.012345 2010', false, true, 1, 6],
    ['ns dot', 'Mon Jan _2 15:04:05.000000000 2006', 'Thu Feb  4 21:00:57.012345678 2010', false, true, 1, 9],
    ['ms comma', 'Mon Jan _2 15:04:05,000 2006', 'Thu Feb  4 21:00:57.012 2010', false, true, 1, 3],
    ['us comma', 'Mon Jan _2 15:04:05,000000 2006', 'Thu Feb  4 21:00:57.012345 2010', false, true, 1, 6],
    [
      'ns comma',
      'Mon Jan _2 15:04:05,000000000 2006',
      'Thu Feb  4 21:00:57.012345678 2010',
      false,
      true,
      1,
      9,
    ],
    ['zero1', '2006.01.02.15.04.05.0', '2010.02.04.21.00.57.0', false, false, 1, 1],
    ['zero2', '2006.01.02.15.04.05.00', '2010.02.04.21.00.57.01', false, false, 1, 2],
    [
      'Janet',
      'Hi Janet, the Month is January: Jan _2 15:04:05 2006',
      'Hi Janet, the Month is February: Feb  4 21:00:57 2010',
      false,
      true,
      1,
      0,
    ],
    ['GMT-8', L.UnixDate!, 'Fri Feb  5 05:00:57 GMT-8 2010', true, true, 1, 0],
    ['.9999 none', '2006-01-02 15:04:05.9999 -0700 MST', '2010-02-04 21:00:57 -0800 PST', true, false, 1, 0],
    [
      '.9x9 none',
      '2006-01-02 15:04:05.999999999 -0700 MST',
      '2010-02-04 21:00:57 -0800 PST',
      true,
      false,
      1,
      0,
    ],
    [
      '.9999 4',
      '2006-01-02 15:04:05.9999 -0700 MST',
      '2010-02-04 21:00:57.0123 -0800 PST',
      true,
      false,
      1,
      4,
    ],
    [
      '.9x9 4',
      '2006-01-02 15:04:05.999999999 -0700 MST',
      '2010-02-04 21:00:57.0123 -0800 PST',
      true,
      false,
      1,
      4,
    ],
    [
      '.9999 9',
      '2006-01-02 15:04:05.9999 -0700 MST',
      '2010-02-04 21:00:57.012345678 -0800 PST',
      true,
      false,
      1,
      9,
    ],
    [
      '.9x9 9',
      '2006-01-02 15:04:05.999999999 -0700 MST',
      '2010-02-04 21:00:57.012345678 -0800 PST',
      true,
      false,
      1,
      9,
    ],
    [',9999 none', '2006-01-02 15:04:05,9999 -0700 MST', '2010-02-04 21:00:57 -0800 PST', true, false, 1, 0],
    [
      ',9x9 none',
      '2006-01-02 15:04:05,999999999 -0700 MST',
      '2010-02-04 21:00:57 -0800 PST',
      true,
      false,
      1,
      0,
    ],
    [
      ',9999 4',
      '2006-01-02 15:04:05,9999 -0700 MST',
      '2010-02-04 21:00:57.0123 -0800 PST',
      true,
      false,
      1,
      4,
    ],
    [
      ',9x9 4',
      '2006-01-02 15:04:05,999999999 -0700 MST',
      '2010-02-04 21:00:57.0123 -0800 PST',
      true,
      false,
      1,
      4,
    ],
    [
      ',9999 9',
      '2006-01-02 15:04:05,9999 -0700 MST',
      '2010-02-04 21:00:57.012345678 -0800 PST',
      true,
      false,
      1,
      9,
    ],
    [
      ',9x9 9',
      '2006-01-02 15:04:05,999999999 -0700 MST',
      '2010-02-04 21:00:57.012345678 -0800 PST',
      true,
      false,
      1,
      9,
    ],
    ['StampNano', L.StampNano!, 'Feb  4 21:00:57.012345678', false, false, -1, 9],
    ['.999 with 9 digits 0123', 'Jan _2 15:04:05.999', 'Feb  4 21:00:57.012300000', false, false, -1, 4],
    ['.999 with 9 digits', 'Jan _2 15:04:05.999', 'Feb  4 21:00:57.012345678', false, false, -1, 9],
    ['.9x9 with 4 digits', 'Jan _2 15:04:05.999999999', 'Feb  4 21:00:57.0123', false, false, -1, 4],
    ['.9x9 with 9 digits', 'Jan _2 15:04:05.999999999', 'Feb  4 21:00:57.012345678', false, false, -1, 9],
    ['yday with date', '2006-01-02 002 15:04:05', '2010-02-04 035 21:00:57', false, false, 1, 0],
    ['yday with month', '2006-01 002 15:04:05', '2010-02 035 21:00:57', false, false, 1, 0],
    ['yday only', '2006-002 15:04:05', '2010-035 21:00:57', false, false, 1, 0],
    ['yday then month', '200600201 15:04:05', '201003502 21:00:57', false, false, 1, 0],
    ['yday then minute', '200600204 15:04:05', '201003504 21:00:57', false, false, 1, 0],
    ['Ruby -0800', L.RubyDate!, 'Thu Feb 04 21:00:57 -0800 2010', true, true, 1, 0],
    ['Ruby -0000', L.RubyDate!, 'Thu Feb 04 21:00:57 -0000 2010', false, true, 1, 0],
    ['Ruby +0000', L.RubyDate!, 'Thu Feb 04 21:00:57 +0000 2010', false, true, 1, 0],
    ['Ruby +1130', L.RubyDate!, 'Thu Feb 04 21:00:57 +1130 2010', false, true, 1, 0],
  ];
  for (const [name, layout, value, hasTZ, hasWD, yearSign, fracDigits] of tests) {
    it(`${name}: ${value}`, () => {
      const t = mustParse(layout, value, { local: pacific });
      const w = wallClock(t.unixNanos, t.zone);
      if (yearSign >= 0) assert.equal(yearSign * w.year, 2010);
      else assert.equal(w.year, 0);
      assert.deepEqual([w.month, w.day, w.hour, w.minute, w.second], [2, 4, 21, 0, 57]);
      const nanos = Number(('012345678'.slice(0, fracDigits) + '000000000').slice(0, 9));
      assert.equal(w.nanosecond, nanos);
      if (hasTZ) assert.equal(w.offset, -28800);
      if (hasWD) assert.equal(w.weekday, 4);
    });
  }
});

describe('parseTime: errors (Go parseErrorTests and friends)', () => {
  const tests: [string, string, string][] = [
    [L.ANSIC!, 'Feb  4 21:00:60 2010', 'cannot parse'],
    [L.ANSIC!, 'Thu Feb  4 21:00:57 @2010', 'cannot parse'],
    [L.ANSIC!, 'Thu Feb  4 21:00:60 2010', 'second out of range'],
    [L.ANSIC!, 'Thu Feb  4 21:61:57 2010', 'minute out of range'],
    [L.ANSIC!, 'Thu Feb  4 24:00:60 2010', 'hour out of range'],
    ['Mon Jan _2 15:04:05.000 2006', 'Thu Feb  4 23:00:59x01 2010', 'cannot parse'],
    ['Mon Jan _2 15:04:05.000 2006', 'Thu Feb  4 23:00:59.xxx 2010', 'cannot parse'],
    ['Mon Jan _2 15:04:05.000 2006', 'Thu Feb  4 23:00:59.-123 2010', 'fractional second out of range'],
    [L.StampNano!, 'Dec  7 11:22:01.000000', 'cannot parse ".000000" as ".000000000"'],
    [L.StampNano!, 'Dec  7 11:22:01.0000000000', 'extra text: "0"'],
    [
      L.RFC3339!,
      '2006-01-02T15:04:05Z07:00',
      'parsing time "2006-01-02T15:04:05Z07:00": extra text: "07:00"',
    ],
    [
      L.RFC3339!,
      '2006-01-02T15:04_abc',
      'parsing time "2006-01-02T15:04_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as ":"',
    ],
    [
      L.RFC3339!,
      '2006-01-02T15:04:05_abc',
      'parsing time "2006-01-02T15:04:05_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as "Z07:00"',
    ],
    [L.RFC3339!, '2006-01-02T15:04:05Z_abc', 'parsing time "2006-01-02T15:04:05Z_abc": extra text: "_abc"'],
    [L.RFC3339!, '2010-02-04T21:00:67.012345678-08:00', 'second out of range'],
    ['_2 Jan 06 15:04 MST', '4 --- 00 00:00 GMT', 'cannot parse'],
    ['_2 January 06 15:04 MST', '4 --- 00 00:00 GMT', 'cannot parse'],
    ['Jan _2 002 2006', 'Feb  4 034 2006', 'day-of-year does not match day'],
    ['Jan _2 002 2006', 'Feb  4 004 2006', 'day-of-year does not match month'],
    ['01 MST', '0 MST', 'cannot parse'],
    ['01 MST', '1 MST', 'cannot parse'],
    [L.RFC850!, 'Thursday, 04-Feb-1 21:00:57 PST', 'cannot parse'],
    ['01-02', '00-01', 'month out of range'],
    ['01-02', '13-01', 'month out of range'],
    ['2006-002', '2019-366', 'day-of-year out of range'],
    ['2006-002', '2019-000', 'day-of-year out of range'],
    ['3PM', '3XM', 'cannot parse'],
    ['3pm', '3PM', 'cannot parse'],
    [L.RFC3339!, '2006-01-02T15:04:05+25:00', 'time zone offset hour out of range'],
    // Go 1.23 (Promtail 3.x builds); Go 1.19 parsed this as +25:00.
    ['2006-01-02 15:04:05 -0700', '2024-01-01 00:00:00 +2500', 'time zone offset hour out of range'],
    [L.RFC3339!, '2006-01-02T15:04:05*07:00', 'cannot parse'],
  ];
  for (const [layout, value, expect] of tests) {
    it(`${layout} | ${value}`, () => {
      const r = parseTime(layout, value);
      assert.ok(r instanceof TimeParseError, 'expected an error');
      assert.ok(r.message.includes(expect), r.message);
    });
  }

  const days: [string, boolean][] = [
    ['Thu Jan 99 21:00:57 2010', false],
    ['Thu Jan 31 21:00:57 2010', true],
    ['Thu Jan 32 21:00:57 2010', false],
    ['Thu Feb 28 21:00:57 2012', true],
    ['Thu Feb 29 21:00:57 2012', true],
    ['Thu Feb 29 21:00:57 2010', false],
    ['Thu Mar 32 21:00:57 2010', false],
    ['Thu Apr 30 21:00:57 2010', true],
    ['Thu Apr 31 21:00:57 2010', false],
    ['Thu Jun 31 21:00:57 2010', false],
    ['Thu Sep 31 21:00:57 2010', false],
    ['Thu Nov 31 21:00:57 2010', false],
    ['Thu Dec 31 21:00:57 2010', true],
    ['Thu Dec 00 21:00:57 2010', false],
  ];
  for (const [value, ok] of days) {
    it(`day range: ${value}`, () => {
      const r = parseTime(L.ANSIC!, value);
      if (ok) assert.ok(!(r instanceof TimeParseError));
      else assert.ok(r instanceof TimeParseError && r.message.includes('day out of range'));
    });
  }
});

describe('parseTime: zones', () => {
  const seconds: [string, string, number][] = [
    ['2006-01-02T15:04:05-070000', '1871-01-01T05:33:02-003408', -(34 * 60 + 8)],
    ['2006-01-02T15:04:05-07:00:00', '1871-01-01T05:33:02-00:34:08', -(34 * 60 + 8)],
    ['2006-01-02T15:04:05-070000', '1871-01-01T05:33:02+003408', 34 * 60 + 8],
    ['2006-01-02T15:04:05-07:00:00', '1871-01-01T05:33:02+00:34:08', 34 * 60 + 8],
    ['2006-01-02T15:04:05Z070000', '1871-01-01T05:33:02-003408', -(34 * 60 + 8)],
    ['2006-01-02T15:04:05Z07:00:00', '1871-01-01T05:33:02+00:34:08', 34 * 60 + 8],
    ['2006-01-02T15:04:05-07', '1871-01-01T05:33:02+01', 3600],
    ['2006-01-02T15:04:05-07', '1871-01-01T05:33:02-02', -7200],
    ['2006-01-02T15:04:05Z07', '1871-01-01T05:33:02-02', -7200],
  ];
  for (const [layout, value, offset] of seconds) {
    it(`offset with seconds: ${value}`, () => {
      const t = mustParse(layout, value);
      assert.equal(wallClock(t.unixNanos, t.zone).offset, offset);
      assert.equal(formatTime(t.unixNanos, layout, new FixedZone('LMT', offset)), value);
    });
  }

  it('minutes in a zone offset (+0123)', () => {
    const t = mustParse(L.RubyDate!, 'Mon Jan 02 15:04:05 +0123 2006');
    assert.equal(wallClock(t.unixNanos, t.zone).offset, (60 + 23) * 60);
  });

  it('Z means UTC in ISO 8601 layouts only', () => {
    assert.equal(mustParse(L.RFC3339!, '2019-10-01T01:02:03Z').unixNanos, 1569891723000000000n);
    assert.ok(parseTime('2006-01-02T15:04:05-07:00', '2019-10-01T01:02:03Z') instanceof TimeParseError);
  });

  it('an abbreviation is looked up in the location (AST in Blanc-Sablon is -4h)', () => {
    const loc = loadLocation('America/Blanc-Sablon');
    const t = mustParse('Jan 02 2006 MST', 'Feb 01 2013 AST', { defaultZone: loc, local: loc });
    assert.equal(t.unixNanos, BigInt(Date.UTC(2013, 1, 1, 4)) * 1_000_000n);
  });

  it('an unknown abbreviation keeps the wall clock as UTC (Go: fabricated zone, offset 0)', () => {
    const t = mustParse(L.UnixDate!, 'Thu Feb  4 21:00:57 XYZ 2010', { local: UTC });
    assert.equal(t.unixNanos, BigInt(Date.UTC(2010, 1, 4, 21, 0, 57)) * 1_000_000n);
    assert.equal(formatTime(t.unixNanos, L.UnixDate!, t.zone), 'Thu Feb  4 21:00:57 XYZ 2010');
  });

  it('"UTC" is UTC whatever the location', () => {
    const t = mustParse(L.UnixDate!, 'Thu Feb  4 21:00:57 UTC 2010', {
      local: pacific,
      defaultZone: pacific,
    });
    assert.equal(t.unixNanos, BigInt(Date.UTC(2010, 1, 4, 21, 0, 57)) * 1_000_000n);
  });

  it('ParseInLocation resolves DST, gaps and overlaps as Go time.Date does', () => {
    const ny = loadLocation('America/New_York');
    const at = (v: string) => mustParse('2006-01-02 15:04:05', v, { defaultZone: ny, local: ny }).unixNanos;
    assert.equal(at('2019-07-22 20:29:32'), BigInt(Date.UTC(2019, 6, 23, 0, 29, 32)) * 1_000_000n); // EDT
    assert.equal(at('2019-01-22 20:29:32'), BigInt(Date.UTC(2019, 0, 23, 1, 29, 32)) * 1_000_000n); // EST
    // 02:30 does not exist on 2019-03-10: Go lands on 01:30 EST.
    assert.equal(at('2019-03-10 02:30:00'), BigInt(Date.UTC(2019, 2, 10, 6, 30)) * 1_000_000n);
    // 01:30 happens twice on 2019-11-03: Go takes the first (EDT).
    assert.equal(at('2019-11-03 01:30:00'), BigInt(Date.UTC(2019, 10, 3, 5, 30)) * 1_000_000n);
  });

  it('loadLocation accepts IANA names, "", UTC and Local, and rejects others', () => {
    assert.equal(loadLocation(''), UTC);
    assert.equal(loadLocation('UTC'), UTC);
    assert.ok(loadLocation('Local'));
    assert.equal(loadLocation('Asia/Kolkata').offsetAt(0), 19800);
    assert.throws(() => loadLocation('America/Canada'), /unknown time zone America\/Canada/);
    assert.throws(() => loadLocation('+05:00'), /unknown time zone/);
  });
});

describe('parseTime: other Go facts', () => {
  it('12PM is noon and 12AM is midnight', () => {
    for (const layout of ['3:04PM', '03:04PM']) {
      assert.equal(wallClock(mustParse(layout, '12:00PM').unixNanos, UTC).hour, 12);
      assert.equal(wallClock(mustParse(layout, '12:00AM').unixNanos, UTC).hour, 0);
    }
    assert.equal(wallClock(mustParse('3:04pm', '1:00pm').unixNanos, UTC).hour, 13);
  });

  it('_2006 is a literal underscore and a year (Go issue 11334)', () => {
    const w = wallClock(mustParse('15:04_20060102', '14:38_20150618').unixNanos, UTC);
    assert.deepEqual([w.year, w.month, w.day, w.hour, w.minute], [2015, 6, 18, 14, 38]);
  });

  it('every day of 2020 round-trips through 2006-002 (Go issue 37387)', () => {
    for (let i = 1; i <= 365; i++) {
      const w = wallClock(mustParse('2006-002', `2020-${String(i).padStart(3, '0')}`).unixNanos, UTC);
      assert.equal(w.year, 2020);
      assert.equal(w.yday, i);
    }
  });

  it('two-digit years: 69-99 are 19xx, 00-68 are 20xx', () => {
    assert.equal(wallClock(mustParse('06', '69').unixNanos, UTC).year, 1969);
    assert.equal(wallClock(mustParse('06', '68').unixNanos, UTC).year, 2068);
  });

  it('fractions are truncated to nanoseconds, never rounded', () => {
    assert.equal(
      mustParse(L.RFC3339Nano!, '2019-10-01T01:02:03.9999999999Z').unixNanos % 1_000_000_000n,
      999999999n,
    );
  });

  it('a layout without date is January 1 of year 0', () => {
    const w = wallClock(mustParse(L.Kitchen!, '3:04PM').unixNanos, UTC);
    assert.deepEqual([w.year, w.month, w.day, w.hour, w.minute], [0, 1, 1, 15, 4]);
  });

  it('addDate moves the wall clock by calendar units, Feb 29 spilling into March', () => {
    const t = mustParse('Jan 02', 'Feb 29');
    const w = wallClock(addDate(t, 2023, 0, 0).unixNanos, UTC);
    assert.deepEqual([w.year, w.month, w.day], [2023, 3, 1]);
  });
});

describe('formatTime: Go formatTests', () => {
  // Thu Feb  4 21:00:57.012345600 PST 2009
  const t = 1233810057012345600n;
  const tests: [string, string][] = [
    [L.ANSIC!, 'Wed Feb  4 21:00:57 2009'],
    [L.UnixDate!, 'Wed Feb  4 21:00:57 PST 2009'],
    [L.RubyDate!, 'Wed Feb 04 21:00:57 -0800 2009'],
    [L.RFC822!, '04 Feb 09 21:00 PST'],
    [L.RFC850!, 'Wednesday, 04-Feb-09 21:00:57 PST'],
    [L.RFC1123!, 'Wed, 04 Feb 2009 21:00:57 PST'],
    [L.RFC1123Z!, 'Wed, 04 Feb 2009 21:00:57 -0800'],
    [L.RFC3339!, '2009-02-04T21:00:57-08:00'],
    [L.RFC3339Nano!, '2009-02-04T21:00:57.0123456-08:00'],
    [L.Kitchen!, '9:00PM'],
    ['3pm', '9pm'],
    ['3PM', '9PM'],
    ['06 01 02', '09 02 04'],
    ['Hi Janet, the Month is January', 'Hi Janet, the Month is February'],
    [L.Stamp!, 'Feb  4 21:00:57'],
    [L.StampMilli!, 'Feb  4 21:00:57.012'],
    [L.StampMicro!, 'Feb  4 21:00:57.012345'],
    [L.StampNano!, 'Feb  4 21:00:57.012345600'],
    ['Jan  2 002 __2 2', 'Feb  4 035  35 4'],
  ];
  for (const [layout, want] of tests) {
    it(layout, () => assert.equal(formatTime(t, layout, pacific), want));
  }

  it('RFC3339 with fixed zones', () => {
    const at = (y: number, mo: number, d: number, h: number, mi: number, s: number, off: number) =>
      (BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) - BigInt(off) * 1000n) * 1_000_000n;
    assert.equal(formatTime(at(2008, 9, 17, 20, 4, 26, 0), L.RFC3339!, UTC), '2008-09-17T20:04:26Z');
    assert.equal(
      formatTime(at(1994, 9, 17, 20, 4, 26, -18000), L.RFC3339!, new FixedZone('EST', -18000)),
      '1994-09-17T20:04:26-05:00',
    );
    assert.equal(
      formatTime(at(2000, 12, 26, 1, 15, 6, 15600), L.RFC3339!, new FixedZone('OTO', 15600)),
      '2000-12-26T01:15:06+04:20',
    );
  });

  it('single digits, noon, midnight, short years, missing zone names', () => {
    assert.equal(formatTime(981173106700000000n, '3:4:5', UTC), '4:5:6');
    assert.equal(formatTime(-62167176000000000000n, '3:04PM', UTC), '12:00PM');
    assert.equal(formatTime(-62167219200000000000n, '03:04PM', UTC), '12:00AM');
    const janFirst = (y: number) => BigInt(ymdOffset(y)) * 1_000_000n;
    assert.equal(formatTime(janFirst(-1), '2006.01.02', UTC), '-0001.01.01');
    assert.equal(formatTime(janFirst(9), '2006.01.02', UTC), '0009.01.01');
    assert.equal(formatTime(janFirst(10001), '2006.01.02', UTC), '10001.01.01');
    const t2 = mustParse(L.RubyDate!, 'Thu Feb 02 16:10:03 -0500 2006');
    assert.equal(formatTime(t2.unixNanos, L.UnixDate!, t2.zone), 'Thu Feb  2 16:10:03 -0500 2006');
  });

  it('format then parse gives the same instant (Mon MST RFC3339)', () => {
    const layout = `Mon MST ${L.RFC3339}`;
    // From 1901 on: before 1883 Los Angeles used local mean time, -7:52:58, which RFC3339 cannot show.
    for (let sec = -2_000_000_000; sec < 200_000_000_000; sec += 777_777_777) {
      const ns = BigInt(sec) * 1_000_000_000n;
      const text = formatTime(ns, layout, pacific);
      assert.equal(mustParse(layout, text, { local: pacific }).unixNanos, ns, text);
    }
  });
});

/** Milliseconds from 1970-01-01 to January 1 of a proleptic Gregorian year. */
function ymdOffset(year: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, 0, 1);
  return d.getTime();
}
