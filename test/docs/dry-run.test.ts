// docs/dry-run.md lists, per tool, exactly the flags the tool's -h prints (the built CLI is run).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helpFlags } from '../support/cli-help.js';
import { firstColumnNames, readDoc, section } from '../support/markdown.js';

const file = 'docs/dry-run.md';
const doc = readDoc(file);

describe('docs/dry-run.md', () => {
  for (const [tool, title] of [
    ['targets', '`logferry targets`'],
    ['pipeline', '`logferry pipeline`'],
    ['test', '`logferry test FILE...`'],
  ] as const) {
    it(`${tool}: the flag table lists exactly the flags of logferry ${tool} -h`, () => {
      const documented = firstColumnNames(section(doc, title, file)).map((f) =>
        (f.split(' ')[0] ?? '').replace(/^--?/, ''),
      );
      assert.deepEqual(documented.sort(), helpFlags([tool]).sort(), `${file}, section ${title}`);
    });
  }
});
