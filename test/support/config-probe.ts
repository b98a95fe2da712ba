// Asks the config parser itself which keys a section accepts: a probe key it cannot know is put
// into the section, and the parser's "unknown key (allowed here: ...)" message lists the rest.
// The docs tests compare these lists with docs/configuration.md, so the reference cannot drift
// from the code. Nothing is mocked: the real parsers read real YAML.

import { parseConfig } from '../../src/config/load.js';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';

export const probeKey = 'zz_docs_probe';

/** The keys listed by the parser's unknown-key message (allowed here / known here). */
function keysFrom(message: string): string[] | undefined {
  const m = /(?:allowed|known) here: ([^)]*)\)/.exec(message);
  const list = m?.[1]?.trim();
  if (list === undefined) return undefined;
  return list === '' || list === 'none' ? [] : list.split(', ').map((k) => k.trim());
}

/**
 * Loads `yaml` (which holds `zz_docs_probe` in the section of interest) as a whole config and
 * returns the keys the section accepts. Stage options that are only warned about (a Promtail
 * mapstructure block) are made errors with the loader's strict option where it has one.
 */
export function probeConfig(yaml: string): string[] {
  // A variable, not a literal: `strict` exists only on loaders that warn about unknown stage keys.
  const opts = { expandEnv: false, allowNoClients: true, strict: true };
  return probe(() => parseConfig(yaml, 'probe.yaml', opts));
}

/** Runs one section parser (journal, syslog, push, wal) on `yaml`, which holds the probe key. */
export function probeSection(yaml: string, parse: (node: ConfigNode) => unknown): string[] {
  return probe(() => parse(ConfigNode.parse(yaml, 'probe.yaml')));
}

function probe(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ConfigError) || !e.key.endsWith(probeKey)) throw e;
    const keys = keysFrom(e.reason);
    if (keys) return keys;
    throw e;
  }
  throw new Error(`the probe key ${probeKey} was accepted`);
}
