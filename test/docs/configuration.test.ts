// docs/configuration.md lists, per section, exactly the keys the config parser accepts there, and
// per pipeline stage exactly the options the stage's parser accepts. The parser is asked itself
// (test/support/config-probe.ts): a probe key it cannot know makes it list the keys it knows.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stageDefinitions } from '../../src/pipeline/stages/index.js';
import { parseJournalConfig } from '../../src/targets/journal/config.js';
import { parsePushConfig } from '../../src/targets/push/config.js';
import { parseSyslogConfig } from '../../src/targets/syslog/config.js';
import { probeConfig, probeKey, probeSection } from '../support/config-probe.js';
import { firstColumnNames, readDoc, section } from '../support/markdown.js';

const file = 'docs/configuration.md';
const doc = readDoc(file);
const P = `${probeKey}: 1`;
const job = (body: string) => `scrape_configs:\n  - job_name: j\n${body}`;
const stage = (yaml: string) => job(`    pipeline_stages:\n      - ${yaml}\n`);

/** Doc section title → how to make the parser list that section's keys. */
const sectionsUnderTest: [title: string, keys: () => string[]][] = [
  ['Top level', () => probeConfig(P)],
  ['`server`', () => probeConfig(`server: {${P}}`)],
  ['`positions`', () => probeConfig(`positions: {${P}}`)],
  ['`clients`', () => probeConfig(`clients: [{url: "http://loki/", ${P}}]`)],
  ['`backoff_config`', () => probeConfig(`clients: [{url: "http://loki/", backoff_config: {${P}}}]`)],
  ['`basic_auth`', () => probeConfig(`clients: [{url: "http://loki/", basic_auth: {${P}}}]`)],
  ['`authorization`', () => probeConfig(`clients: [{url: "http://loki/", authorization: {${P}}}]`)],
  ['`tls_config`', () => probeConfig(`clients: [{url: "http://loki/", tls_config: {${P}}}]`)],
  ['`limits_config`', () => probeConfig(`limits_config: {${P}}`)],
  ['`target_config`', () => probeConfig(`target_config: {${P}}`)],
  ['`global`', () => probeConfig(`global: {${P}}`)],
  ['`file_watch_config`', () => probeConfig(`global: {file_watch_config: {${P}}}`)],
  ['`wal`', () => probeConfig(`wal: {${P}}`)],
  ['`scrape_configs`', () => probeScrapeKeys()],
  ['`static_configs`', () => probeConfig(job(`    static_configs: [{${P}}]`))],
  ['`file_sd_configs`', () => probeConfig(job(`    file_sd_configs: [{${P}}]`))],
  ['`kubernetes_sd_configs`', () => probeConfig(job(`    kubernetes_sd_configs: [{role: pod, ${P}}]`))],
  ['`relabel_configs`', () => probeConfig(job(`    relabel_configs: [{${P}}]`))],
  ['`decompression`', () => probeConfig(job(`    decompression: {${P}}`))],
  ['`journal`', () => probeSection(P, parseJournalConfig)],
  ['`syslog`', () => probeSection(`listen_address: ":1514"\n${P}`, parseSyslogConfig)],
  [
    '`syslog` `tls_config`',
    () => probeSection(`listen_address: ":1514"\ntls_config: {${P}}`, parseSyslogConfig),
  ],
  ['`loki_push_api`', () => probeSection(P, parsePushConfig)],
  ['`loki_push_api` `server`', () => probeSection(`server: {${P}}`, parsePushConfig)],
];

/**
 * A job's keys: what the loader lists, plus the source kinds, which a loader without them wired in
 * refuses before listing (the parsers of those blocks are checked on their own above).
 */
function probeScrapeKeys(): string[] {
  const keys = probeConfig(job(`    ${P}`));
  for (const kind of ['journal', 'syslog', 'loki_push_api']) if (!keys.includes(kind)) keys.push(kind);
  return keys;
}

/** The table rows of a section, only up to its first sub-heading. */
function ownText(title: string): string {
  return section(doc, title, file).split(/\n#{2,6} /)[0] ?? '';
}

describe('docs/configuration.md', () => {
  for (const [title, keys] of sectionsUnderTest) {
    it(`${title}: the keys the parser accepts, no more, no less`, () => {
      const documented = firstColumnNames(ownText(title)).sort();
      assert.deepEqual(documented, [...keys()].sort(), `${file}, section ${title}`);
    });
  }

  const stageRows = new Map<string, string>();
  const stageTable = section(doc, 'Pipeline stages', file).split('**`metrics` stage `config`**')[0] ?? '';
  for (const line of stageTable.split('\n')) {
    const cells = line.split(/(?<!\\)\|/);
    if (cells.length < 4) continue;
    for (const m of (cells[1] ?? '').matchAll(/`([^`]+)`/g)) if (m[1]) stageRows.set(m[1], cells[2] ?? '');
  }

  it('every stage has a row, and every row is a stage', () => {
    const documented = [...stageRows.keys()].sort();
    assert.deepEqual(documented, [...stageDefinitions.keys()].sort());
  });

  for (const name of stageDefinitions.keys()) {
    it(`stage ${name}: its options column lists exactly the options the stage accepts`, () => {
      const cell = stageRows.get(name) ?? '';
      const documented = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
      let accepted: string[];
      try {
        // The metrics stage is a map of metrics: its options are each metric's.
        accepted = probeConfig(stage(name === 'metrics' ? `metrics: {m: {${P}}}` : `${name}: {${P}}`));
      } catch (e) {
        // A map of names (labels, static_labels, ...) takes the probe as a name; a list stage
        // refuses a mapping. Neither has named options.
        if (!/was accepted|must be a list/.test((e as Error).message)) throw e;
        accepted = [];
      }
      assert.deepEqual(documented, accepted.sort(), `${file}, row of ${name}`);
    });
  }

  it('the metrics stage: the config keys of each type', () => {
    const rows = new Map<string, string[]>();
    for (const line of section(doc, 'Pipeline stages', file).split('\n')) {
      const m = /^\| `(Counter|Gauge|Histogram)` \| (.*) \|$/.exec(line);
      if (m?.[1] && m[2])
        rows.set(
          m[1],
          [...m[2].matchAll(/`([^`]+)`/g)].map((x) => x[1] as string),
        );
    }
    for (const type of ['Counter', 'Gauge', 'Histogram']) {
      const accepted = probeConfig(stage(`metrics: {m: {type: ${type}, source: x, config: {${P}}}}`));
      assert.deepEqual(rows.get(type)?.sort(), accepted.sort(), `${file}, metrics config of ${type}`);
    }
  });
});
