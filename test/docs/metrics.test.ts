// docs/metrics.md lists every metric the code registers, and nothing else. The names come from a
// running agent's /metrics (with a `limit` stage by label and a `metrics` stage, so the metrics
// registered on demand are there) and from the registry the sources and the disk buffer add to.

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics.js';
import { journalMetrics } from '../../src/targets/journal/metrics.js';
import { pushMetrics } from '../../src/targets/push/metrics.js';
import { syslogMetrics } from '../../src/targets/syslog/metrics.js';
import { createWalMetrics } from '../../src/wal/metrics.js';
import { type AgentProcess, runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { firstColumnNames, readDoc } from '../support/markdown.js';

const doc = 'docs/metrics.md';

/** Metric names of a Prometheus text exposition (from its TYPE lines). */
function exposedNames(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
}

/** A documented name, `<name>` parts as wildcards. */
function matcher(documented: string): RegExp {
  const parts = documented.split(/<[^>]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

describe('docs/metrics.md', () => {
  let agent: AgentProcess;
  let base: string;
  let cleanup: () => void;
  const registered = new Set<string>();

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const log = join(t.dir, 'app.log');
    writeFileSync(log, '');
    const config = writeConfig({
      dir: t.dir,
      scrapeConfigs: `  - job_name: docs
    static_configs:
      - targets: [localhost]
        labels: {app: web, __path__: ${log}}
    pipeline_stages:
      - metrics:
          docs_lines_total: {type: Counter, description: lines, config: {match_all: true, action: inc}}
      - limit: {rate: 1, burst: 1, drop: true, by_label_name: app}`,
    });
    agent = runCli([`-config.file=${config}`, '-dry-run']);
    base = `http://127.0.0.1:${await agent.port()}`;
    // Three lines at once: the bucket holds one, so two are dropped by the limit stage.
    appendFileSync(log, 'one\ntwo\nthree\n');
    await agent.waitForStdout(/one/);
    const deadline = Date.now() + 20_000;
    let text = await scrape(base);
    while (!/logentry_dropped_lines_by_label_total\{[^}]*\} 2\b/.test(text)) {
      if (Date.now() > deadline) throw new Error(`limit drops not counted:\n${text}\n${agent.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
      text = await scrape(base);
    }
    for (const name of exposedNames(text)) registered.add(name);

    // Sources and the disk buffer register on the agent's registry when one of them runs.
    const metrics = createMetrics();
    createWalMetrics(metrics.registry);
    journalMetrics(metrics);
    syslogMetrics(metrics.registry);
    pushMetrics(metrics, 'docs');
    for (const m of await metrics.registry.getMetricsAsJSON()) registered.add(m.name);
  });

  after(async () => {
    await agent?.stop();
    cleanup?.();
  });

  it('the limit stage exposes logentry_dropped_lines_by_label_total per label value, as Promtail', async () => {
    const text = await scrape(base);
    assert.match(text, /^logentry_dropped_lines_by_label_total\{label_name="app",label_value="web"\} 2$/m);
    assert.match(text, /^logentry_dropped_lines_total\{reason="ratelimit_drop_stage"\} 2$/m);
  });

  it('lists every registered metric', () => {
    const documented = firstColumnNames(readDoc(doc)).map(matcher);
    const missing = [...registered].filter((name) => !documented.some((re) => re.test(name)));
    assert.deepEqual(missing, [], `registered but not in ${doc}`);
  });

  it('lists no metric the code does not register', () => {
    const names = [...registered];
    const stale = firstColumnNames(readDoc(doc)).filter((d) => !names.some((n) => matcher(d).test(n)));
    assert.deepEqual(stale, [], `in ${doc} but not registered`);
  });
});
