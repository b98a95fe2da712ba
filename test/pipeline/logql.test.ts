import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogQLSyntaxError, parseLogSelector } from '../../src/pipeline/logql.js';

describe('parseLogSelector: good selectors', () => {
  const good: [string, string][] = [
    ['{foo="bar"}', '{foo="bar"}'],
    ['{ foo = "bar" }', '{foo="bar"}'],
    ['{ foo != "bar" }', '{foo!="bar"}'],
    ['{ foo =~ "bar" }', '{foo=~"bar"}'],
    ['{ foo !~ "bar" }', '{foo!~"bar"}'],
    ['{ foo = "bar", bar != "baz" }', '{foo="bar", bar!="baz"}'],
    ['{ foo = "ba\\"r" }', '{foo="ba\\"r"}'],
    ['{foo="bar"} |= "baz"', '{foo="bar"} |= "baz"'],
    [
      '{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap"',
      '{foo="bar"} |= "baz" |~ "blip" != "flip" !~ "flap"',
    ],
    [
      '{app="x", env=~"prod|dev", level!="debug", x!~"y"}',
      '{app="x", env=~"prod|dev", level!="debug", x!~"y"}',
    ],
    ['{foo=`a\\b`}', '{foo="a\\\\b"}'],
    ['{foo="\\x41\\101\\u00e9\\U0001F600\\t"}', '{foo="AAé😀\\t"}'],
    ['{foo="\\xe2\\x82\\xac"}', '{foo="€"}'],
    ['{_a1="x"}', '{_a1="x"}'],
    ['/* c */ {foo="bar"} // trailing', '{foo="bar"}'],
    ['{foo="bar"}\n|= "x"', '{foo="bar"} |= "x"'],
  ];
  for (const [input, canonical] of good) {
    it(input, () => {
      assert.equal(parseLogSelector(input).toString(), canonical);
    });
  }
});

describe('parseLogSelector: bad selectors', () => {
  // Messages and positions as Promtail's parser reports them.
  const bad: [string, string, number, number][] = [
    ['{foo="bar}', 'literal not terminated', 1, 6],
    ['{foo="bar"', 'syntax error: unexpected $end, expecting } or ,', 1, 11],
    ['{foo="bar"} |~', 'syntax error: unexpected $end, expecting STRING', 1, 15],
    ['{foo="bar"} "foo"', 'syntax error: unexpected STRING, expecting != or !~ or |~ or |=', 1, 13],
    ['{foo="bar"} foo', 'syntax error: unexpected IDENTIFIER, expecting != or !~ or |~ or |=', 1, 13],
    ['{foo="bar"} | json', 'syntax error: unexpected IDENTIFIER, expecting != or !~ or |~ or |=', 1, 13],
    ['{}', 'syntax error: unexpected }, expecting IDENTIFIER', 1, 2],
    ['', 'syntax error: unexpected $end, expecting {', 1, 1],
    ['foo="bar"', 'syntax error: unexpected IDENTIFIER, expecting {', 1, 1],
    ['{foo}', 'syntax error: unexpected }, expecting = or != or =~ or !~', 1, 5],
    ['{foo=bar}', 'syntax error: unexpected IDENTIFIER, expecting STRING', 1, 6],
    ['{foo="a",}', 'syntax error: unexpected }, expecting IDENTIFIER', 1, 10],
    ['{foo="a" bar="b"}', 'syntax error: unexpected IDENTIFIER, expecting } or ,', 1, 10],
    ['{foo="\\q"}', 'invalid char escape', 1, 6],
    ['{foo="\\777"}', 'invalid syntax', 1, 6],
    ['{foo="a\nb"}', 'literal not terminated', 1, 6],
    ['{foo="a"}\n  |= `x', 'literal not terminated', 2, 6],
    ['{foo=~"("}', 'error parsing regexp: missing closing ): `^(?s:()$`', 1, 7],
  ];
  for (const [input, reason, line, col] of bad) {
    it(JSON.stringify(input), () => {
      assert.throws(
        () => parseLogSelector(input),
        (e: unknown) => {
          assert.ok(e instanceof LogQLSyntaxError, String(e));
          if (!reason.startsWith('error parsing regexp')) assert.equal(e.reason, reason);
          else assert.match(e.reason, /missing closing \)/);
          assert.equal(e.line, line);
          assert.equal(e.col, col);
          assert.equal(e.message, `parse error at line ${line}, col ${col}: ${e.reason}`);
          return true;
        },
      );
    });
  }
});

describe('LogSelector matching', () => {
  const labels = { app: 'x', env: 'prod', level: 'info' };
  const table: [string, Record<string, string>, boolean][] = [
    ['{app="x"}', labels, true],
    ['{app="y"}', labels, false],
    ['{app!="y"}', labels, true],
    ['{env=~"prod|dev"}', labels, true],
    ['{env=~"pro"}', labels, false], // anchored
    ['{env=~"pro.*"}', labels, true],
    ['{env!~"prod|dev"}', labels, false],
    ['{missing=""}', labels, true], // a missing label matches as ""
    ['{missing!=""}', labels, false],
    ['{missing=~".*"}', labels, true],
    ['{missing=~".+"}', labels, false],
    ['{constructor=""}', labels, true],
    ['{app="x", env="dev"}', labels, false],
    ['{app="x", level!="debug"}', labels, true],
    ['{app=~"a.b"}', { app: 'a\nb' }, true], // `.` matches newline, as Prometheus does
  ];
  for (const [sel, ls, want] of table) {
    it(`${sel} on ${JSON.stringify(ls)} → ${want}`, () => {
      assert.equal(parseLogSelector(sel).matchesLabels(ls), want);
    });
  }

  const lines: [string, string, boolean][] = [
    ['{a="b"} |= "err"', 'an error here', true],
    ['{a="b"} |= "err"', 'all fine', false],
    ['{a="b"} |= ""', 'anything', true],
    ['{a="b"} != "err"', 'all fine', true],
    ['{a="b"} != "err"', 'an error', false],
    ['{a="b"} |~ "e[r]+or"', 'an error', true], // not anchored
    ['{a="b"} |~ "^e"', 'an error', false],
    ['{a="b"} !~ "\\\\d+"', 'no digits', true],
    ['{a="b"} !~ "\\\\d+"', 'digit 7', false],
    ['{a="b"} |= "a" |= "b"', 'a and b', true],
    ['{a="b"} |= "a" |= "b"', 'only a', false],
    ['{a="b"} |= "a" != "c"', 'a but c', false],
  ];
  for (const [sel, line, want] of lines) {
    it(`${sel} on ${JSON.stringify(line)} → ${want}`, () => {
      const s = parseLogSelector(sel);
      assert.equal(s.matchesLine(line), want);
    });
  }
});
