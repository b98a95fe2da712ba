// A relabel rule as its author wrote it (flow lists, quotes and comments kept), cut out of the
// config file by its line, for the dry-run tools' messages. RelabelRule.text, a re-serialisation,
// is the fallback when the file cannot be read or the rule does not start a list item there.

import { readFileSync } from 'node:fs';

const cache = new Map<string, string[] | null>();

function fileLines(file: string): string[] | null {
  let lines = cache.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = null;
    }
    cache.set(file, lines);
  }
  return lines;
}

/** The list item starting at `line` (1-based) of `file`, dedented; `fallback` when there is none. */
export function writtenRule(file: string, line: number, fallback: string): string {
  const lines = fileLines(file);
  const first = lines?.[line - 1];
  const m = first === undefined ? null : /^(\s*)-\s+(\S.*)$/.exec(first);
  if (!lines || !m) return fallback;
  const indent = m[1]!.length;
  const body = indent + (first!.length - m[2]!.length - indent);
  const out = [m[2]!];
  for (let i = line; i < lines.length; i++) {
    const l = lines[i]!;
    const trimmed = l.trim();
    const lead = l.length - l.trimStart().length;
    if (trimmed !== '' && lead <= indent) break;
    out.push(l.slice(Math.min(lead, body)));
  }
  while (out.length > 1 && /^\s*(#.*)?$/.test(out[out.length - 1]!)) out.pop();
  return out.join('\n');
}
