// `npm run lint`: fails when a source file under src/ is longer than 700 lines (docs/style.md:
// split a long file along its seams instead).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const maxLines = 700;

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return files(p);
    return /\.[cm]?[jt]s$/.test(d.name) ? [p] : [];
  });
}

const long = files('src')
  .map((f) => {
    const text = readFileSync(f, 'utf8');
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    return { f, lines };
  })
  .filter((x) => x.lines > maxLines);
for (const { f, lines } of long) console.error(`${f}: ${lines} lines, more than ${maxLines}`);
if (long.length > 0) process.exit(1);
console.log(`no file under src/ has more than ${maxLines} lines`);
