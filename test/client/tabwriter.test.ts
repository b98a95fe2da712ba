// Go's text/tabwriter as Promtail's -dry-run configures it (minwidth 0, tabwidth 8, padding 0,
// padchar '\t', flushed per entry). Every expectation is the output of Go 1.19's text/tabwriter
// for the same input (checked once against 20,000 random inputs as well).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tabwriterFormat } from '../../src/client/tabwriter.js';

const T = '2024-05-01T10:00:00.5+0000'; // 26 code points: a tab follows
const T0 = '2024-05-01T10:00:00+0000'; // 24: no tab follows

describe('tabwriterFormat (Go text/tabwriter, as Promtail -dry-run)', () => {
  const table: [string, string, string][] = [
    ['one tab after cells not a multiple of 8 wide', `${T}\t{job="x"}\thello\n`, `${T}\t{job="x"}\thello\n`],
    ['no tab after a cell 24 wide', `${T0}\t{job="x"}\thello\n`, `${T0}{job="x"}\thello\n`],
    ['labels 15 wide', `${T}\t{job="abcdefg"}\thello\n`, `${T}\t{job="abcdefg"}\thello\n`],
    ['a tab inside the line is a cell too', `${T}\t{job="x"}\tkey\tvalue\n`, `${T}\t{job="x"}\tkey\tvalue\n`],
    [
      'a tab after 8 characters of the line disappears',
      `${T}\t{job="x"}\t12345678\tvalue\n`,
      `${T}\t{job="x"}\t12345678value\n`,
    ],
    [
      'a later line of a multi-line entry aligns with the first',
      `${T}\t{job="x"}\tfirst\nsecond\tcell\nthird\n`,
      `${T}\t{job="x"}\tfirst\nsecond\t\t\t\tcell\nthird\n`,
    ],
    ['widths count code points', `${T}\t{job="é😀"}\thello\n`, `${T}\t{job="é😀"}\thello\n`],
    [
      'colour escapes count in the width',
      `\x1b[34m${T0}\x1b[0m\t\x1b[33m{job="x"}\x1b[0m\thello\n`,
      `\x1b[34m${T0}\x1b[0m\t\x1b[33m{job="x"}\x1b[0m\thello\n`,
    ],
    ['a form feed ends the line', 'ts\t{}\tform\ffeed\tx\n', 'ts\t{}\tform\nfeed\tx\n'],
  ];
  for (const [name, input, want] of table) {
    it(name, () => assert.equal(tabwriterFormat(input), want));
  }
});
