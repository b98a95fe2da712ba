// The agent's /service-discovery page: every target discovery found, per job, with its labels
// before and after relabeling; for each one that is not tailed, the relabel rule (as written,
// with its line) or the Promtail check that dropped it, and the labels it had then. Plain
// server-rendered HTML, no script, readable on a phone.

import type { ScrapeConfig } from '../config/types.js';
import { writtenRule } from '../dryrun/written.js';
import { relabel } from '../relabel/relabel.js';
import { findDroppingRule } from '../relabel/trace.js';
import type { SourceStatus } from '../targets/source.js';
import type { DroppedTarget, FileTarget, LabelSet } from '../types.js';
import { escapeHtml, labelList, page, sourceCard } from './pages.js';

export interface ServiceDiscoveryJob {
  job: ScrapeConfig;
  active: readonly FileTarget[];
  dropped: readonly DroppedTarget[];
  /** The job's journal, syslog or push source: configured by its block, nothing is discovered. */
  source?: SourceStatus;
}

export interface ServiceDiscoveryOptions {
  /** The node the agent runs as (targets with another `__host__` are dropped). */
  hostname: string;
  /** The config file, to quote rules as written. */
  configFile?: string;
}

const style = `<style>
pre.rule { background: #f7f7f9; border-radius: 4px; padding: 6px 8px; margin: 6px 0; font-size: 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.card.dropped { border-left: 4px solid #b3261e; }
.card.active { border-left: 4px solid #2e7d32; }
.name { font-weight: 600; overflow-wrap: anywhere; }
.jobs { display: flex; flex-wrap: wrap; gap: 4px 12px; padding: 0; list-style: none; }
.kv { margin: 4px 0; }
</style>`;

export function renderServiceDiscoveryPage(
  jobs: readonly ServiceDiscoveryJob[],
  options: ServiceDiscoveryOptions,
): string {
  let active = 0;
  let dropped = 0;
  const sections = jobs.map((j) => {
    const drops = dedupe(j.dropped);
    active += j.active.length;
    dropped += drops.length;
    return renderJob(j, drops, options);
  });
  const index = jobs.length
    ? `<ul class="jobs">${jobs
        .map((j) => `<li><a href="#${anchor(j.job.jobName)}">${escapeHtml(j.job.jobName)}</a></li>`)
        .join('')}</ul>`
    : '<p>No scrape config.</p>';
  const body = `${style}<p>Node <b>${escapeHtml(options.hostname)}</b>: ${active + dropped} discovered target(s), <b>${active}</b> active, <b>${dropped}</b> dropped. Open a target's <i>discovered labels</i> to see its labels before relabeling. <a href="targets">Active targets and their files</a>.</p>${index}${sections.join('')}`;
  return page('Service discovery', body);
}

function renderJob(
  j: ServiceDiscoveryJob,
  drops: readonly DroppedTarget[],
  options: ServiceDiscoveryOptions,
): string {
  const name = j.job.jobName;
  if (j.source) {
    return `<h2 id="${anchor(name)}">${escapeHtml(name)} <span class="muted">(${j.source.kind})</span></h2><p class="muted">Configured by its ${escapeHtml(j.source.kind === 'push' ? 'loki_push_api' : j.source.kind)} block: no discovery. Entries carry its labels into relabel_configs.</p>${sourceCard(j.source)}`;
  }
  const head = `<h2 id="${anchor(name)}">${escapeHtml(name)} <span class="muted">(${j.active.length} active, ${drops.length} dropped)</span></h2>`;
  const byName = <T extends { discoveredLabels: LabelSet }>(list: readonly T[]) =>
    [...list].sort((a, b) => targetName(a.discoveredLabels).localeCompare(targetName(b.discoveredLabels)));
  const activeCards = byName(j.active).map(
    (t) =>
      `<div class="card active"><div class="name">${escapeHtml(targetName(t.discoveredLabels))}</div>` +
      `<div class="kv">labels after relabeling:</div>${labelList(t.labels)}` +
      `<div class="kv">path <code>${escapeHtml(t.pathGlob)}</code>${t.pathExclude ? ` excluding <code>${escapeHtml(t.pathExclude)}</code>` : ''}</div>` +
      discoveredDetails(t.discoveredLabels) +
      '</div>',
  );
  const dropCards = byName(drops).map((d) => renderDrop(j.job, d, options));
  const empty =
    j.active.length + drops.length === 0 ? '<p class="muted">Nothing discovered for this job.</p>' : '';
  return `${head}${empty}${activeCards.length ? `<h3>Active</h3>${activeCards.join('')}` : ''}${
    dropCards.length ? `<h3>Dropped</h3>${dropCards.join('')}` : ''
  }`;
}

function renderDrop(job: ScrapeConfig, d: DroppedTarget, options: ServiceDiscoveryOptions): string {
  let why: string;
  let labels: LabelSet;
  let rule = '';
  if (d.reason === 'relabeling') {
    const found = findDroppingRule(d.discoveredLabels, job.relabelConfigs);
    labels = found?.labels ?? d.discoveredLabels;
    if (found) {
      const text = options.configFile
        ? writtenRule(options.configFile, found.rule.line, found.rule.text)
        : found.rule.text;
      why = `dropped by relabel rule #${found.index} (${found.rule.action}), line ${found.rule.line}`;
      rule = `<pre class="rule">${escapeHtml(text)}</pre>`;
    } else {
      why = 'dropped by relabeling';
    }
  } else {
    labels = relabel(d.discoveredLabels, job.relabelConfigs) ?? d.discoveredLabels;
    why =
      d.reason === 'wrong_host'
        ? `dropped: __host__ "${labels.__host__ ?? ''}" is not this node "${options.hostname}"`
        : 'dropped: no __path__ after relabeling';
  }
  return (
    `<div class="card dropped"><div class="name">${escapeHtml(targetName(d.discoveredLabels))}</div>` +
    `<div class="drop">${escapeHtml(why)}</div>${rule}` +
    `<details><summary>labels when dropped (${Object.keys(labels).length})</summary>${labelList(labels)}</details>` +
    discoveredDetails(d.discoveredLabels) +
    '</div>'
  );
}

function discoveredDetails(labels: LabelSet): string {
  return `<details><summary>discovered labels (${Object.keys(labels).length})</summary>${labelList(labels)}</details>`;
}

/** `namespace/pod/container` for a pod, else the address. */
function targetName(labels: LabelSet): string {
  const pod = labels.__meta_kubernetes_pod_name;
  if (pod !== undefined)
    return `${labels.__meta_kubernetes_namespace ?? ''}/${pod}/${labels.__meta_kubernetes_pod_container_name ?? ''}`;
  return labels.__address__ ?? '(no __address__)';
}

/** One card per pod container and reason: a container with several ports is several targets. */
function dedupe(dropped: readonly DroppedTarget[]): DroppedTarget[] {
  const seen = new Set<string>();
  return dropped.filter((d) => {
    const l = d.discoveredLabels;
    const key =
      l.__meta_kubernetes_pod_name !== undefined
        ? `${targetName(l)}\u0000${d.reason}`
        : `${JSON.stringify(Object.entries(l).sort())}\u0000${d.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function anchor(job: string): string {
  return `job-${job.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}
