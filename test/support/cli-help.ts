// The flags a logferry command's -h prints (Go's flag package layout: "  -name type" lines), from
// the built CLI, for the docs tests that compare flag tables with the code.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from './agent-process.js';

export function helpFlags(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, [cliPath, ...args, '-h'], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  const flags = [...text.matchAll(/^ {2}-(\S+)/gm)].map((m) => m[1] as string);
  assert.ok(flags.length > 0, `logferry ${args.join(' ')} -h printed no flags:\n${text}`);
  return flags;
}
