// `file_sd_configs` read once, for the dry-run tools: the agent's own config parser and target
// file parser, over the files the patterns match now (no watch). A target file that does not
// parse is an error here, where the agent would log it and keep the file's previous targets.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import picomatch from 'picomatch';
import type { ConfigNode } from '../config/reader.js';
import { parseFileSdConfig, parseTargetGroupFile } from '../discovery/file-sd.js';
import type { TargetGroup } from '../types.js';

/** The groups of one `file_sd_configs` entry, now. Throws ConfigError on the entry, FileSdError on a file. */
export function readFileSdGroups(
  node: ConfigNode,
  resolvePath: (p: string) => string,
  sourcePrefix = '',
): TargetGroup[] {
  const config = parseFileSdConfig(node, resolvePath);
  const files = new Set<string>();
  for (const pattern of config.files) {
    const dir = dirname(pattern);
    const match = picomatch(basename(pattern), { dot: true });
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (match(n)) files.add(join(dir, n));
  }
  const groups: TargetGroup[] = [];
  for (const file of [...files].sort()) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`file_sd: cannot read ${file}: ${(e as Error).message}`);
    }
    for (const g of parseTargetGroupFile(file, text))
      groups.push({ ...g, source: `${sourcePrefix}${g.source}` });
  }
  return groups;
}
