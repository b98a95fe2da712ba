// Reads the docs the way the docs tests check them: a file by name, its sections by heading, and
// the `code` names in a table's first column, so a test can compare them with what the code defines.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

export function readDoc(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/** The text under each heading (any level), up to the next heading of the same or a higher level. */
export function sections(text: string): Map<string, string> {
  const lines = text.split('\n');
  const out = new Map<string, string>();
  let inFence = false;
  const heads: { title: string; level: number; start: number }[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('```')) inFence = !inFence;
    const m = inFence ? null : /^(#{1,6}) (.*)$/.exec(line);
    if (m?.[1] && m[2]) heads.push({ title: m[2].trim(), level: m[1].length, start: i });
  });
  heads.forEach((h, i) => {
    const next = heads.slice(i + 1).find((n) => n.level <= h.level);
    out.set(h.title, lines.slice(h.start + 1, next ? next.start : lines.length).join('\n'));
  });
  return out;
}

/** The section titled `title`; throws naming the file when there is none. */
export function section(text: string, title: string, file: string): string {
  const body = sections(text).get(title);
  if (body === undefined) throw new Error(`${file} has no section "${title}"`);
  return body;
}

/**
 * The `code` spans of the first column of every table row in `text` (a cell may name several:
 * "`labeldrop`, `labelallow`"). Header and separator rows are skipped.
 */
export function firstColumnNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cell = line.split(/(?<!\\)\|/)[1] ?? '';
    for (const m of cell.matchAll(/`([^`]+)`/g)) if (m[1]) names.push(m[1]);
  }
  return names;
}
