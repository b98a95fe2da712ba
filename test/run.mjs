// Runs every test/**/*.test.ts with Node's test runner (TypeScript through tsx).
// `node test/run.mjs relabel client` runs only the files whose path contains one of the words.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'support' ? [] : find(p);
    return d.name.endsWith('.test.ts') ? [p] : [];
  });
}

const words = process.argv.slice(2);
const files = find('test')
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    // The V8 regexp flags cli.ts sets for the agent (see src/regex/translate.ts).
    '--enable-experimental-regexp-engine',
    '--enable-experimental-regexp-engine-on-excessive-backtracks',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=120000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
