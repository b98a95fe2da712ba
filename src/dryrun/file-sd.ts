// `file_sd_configs` read once, for the dry-run tools: the target files a config names (globs
// allowed in the last path element, as Prometheus), each a JSON or YAML list of
// `{targets, labels}`, every group carrying `__meta_filepath`, as Prometheus's file SD builds them.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import type { ConfigNode } from '../config/reader.js';
import type { LabelSet, TargetGroup } from '../types.js';

const extensions = ['.json', '.yml', '.yaml'];

/** The groups of one `file_sd_configs` entry, now. Throws ConfigError on the config, Error on a target file. */
export function readFileSdGroups(
  node: ConfigNode,
  resolvePath: (p: string) => string,
  sourcePrefix = '',
): TargetGroup[] {
  node.expectKeys(['files', 'refresh_interval']);
  node.get('refresh_interval').duration(300_000);
  const filesNode = node.get('files');
  const patterns = filesNode.stringList([]);
  filesNode.list().forEach((item, i) => {
    const p = patterns[i]!;
    if (!extensions.includes(extname(p)))
      item.fail(`"${p}": a file_sd file must end in .json, .yml or .yaml`);
    if (/[*?[]/.test(dirname(p))) item.fail(`"${p}": a glob is only allowed in the last path element`);
  });
  const groups: TargetGroup[] = [];
  for (const pattern of patterns) {
    for (const file of expand(resolvePath(pattern))) groups.push(...readTargetFile(file, sourcePrefix));
  }
  return groups;
}

function expand(pattern: string): string[] {
  const name = basename(pattern);
  if (!/[*?[]/.test(name)) return [pattern];
  const dir = dirname(pattern);
  const match = picomatch(name, { dot: false });
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => match(n))
    .sort()
    .map((n) => join(dir, n));
}

function readTargetFile(file: string, sourcePrefix: string): TargetGroup[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // Prometheus skips a file that vanished between the glob and the read.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`file_sd: cannot read ${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = extname(file) === '.json' ? JSON.parse(text) : parse(text);
  } catch (e) {
    throw new Error(
      `file_sd: ${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`file_sd: ${file}: expected a list of {targets, labels}`);
  return value.map((item, i) => {
    const g = item as { targets?: unknown; labels?: unknown } | null;
    const targets = Array.isArray(g?.targets) ? g.targets : [];
    if (!targets.every((t) => typeof t === 'string'))
      throw new Error(`file_sd: ${file}: group ${i}: targets must be strings`);
    const labels: LabelSet = {};
    for (const [k, v] of Object.entries((g?.labels as Record<string, unknown> | null) ?? {})) {
      if (typeof v !== 'string') throw new Error(`file_sd: ${file}: group ${i}: label ${k} must be a string`);
      labels[k] = v;
    }
    labels.__meta_filepath = file;
    return {
      source: `${sourcePrefix}${file}:${i}`,
      targets: (targets as string[]).map((t) => ({ __address__: t })),
      labels,
    };
  });
}
