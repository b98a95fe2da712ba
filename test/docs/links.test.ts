// Every relative link in README.md and docs/*.md points at a file of the repository, and every
// doc under docs/ is linked from the README.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { readDoc, repoRoot } from '../support/markdown.js';

const docs = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative link targets of a Markdown text, outside code blocks, without their #anchor. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith('#'))
    .map((l) => l.split('#')[0] as string);
}

describe('links', () => {
  for (const doc of docs) {
    it(`${doc}: every relative link resolves`, () => {
      const broken = links(readDoc(doc))
        .map((l) => relative(repoRoot, join(repoRoot, dirname(doc), l)))
        .filter((l) => !existsSync(join(repoRoot, l)));
      assert.deepEqual(broken, [], `broken links in ${doc}`);
    });
  }

  it('README.md links every doc under docs/', () => {
    const linked = new Set(links(readDoc('README.md')).map((l) => relative(repoRoot, join(repoRoot, l))));
    const unlinked = docs.filter((d) => d !== 'README.md' && !linked.has(d));
    assert.deepEqual(unlinked, [], 'docs not linked from README.md');
  });
});
