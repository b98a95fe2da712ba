// docs/dry-run.md lists, per tool, exactly the flags the tool's -h prints (the built CLI is run).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { cliPath } from '../support/agent-process.js';
import { firstColumnNames, readDoc, section } from '../support/markdown.js';

const file = 'docs/dry-run.md';
const doc = readDoc(file);

/** Flag names from a Go-flag-style usage text ("  -name type" lines after "Flags:"). */
function helpFlags(tool: string): string[] {
  const r = spawnSync(process.execPath, [cliPath, tool, '-h'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  const flags = text.split(/^Flags:$/m)[1];
  assert.ok(flags, `logferry ${tool} -h printed no flags:\n${text}`);
  return [...flags.matchAll(/^ {2}-(\S+)/gm)].map((m) => m[1] as string);
}

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
      assert.deepEqual(documented.sort(), helpFlags(tool).sort(), `${file}, section ${title}`);
    });
  }
});
