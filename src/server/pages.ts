// HTML pages of the agent's server: plain server-rendered HTML, readable on a phone.

import type { SourceStatus } from '../targets/source.js';
import type { LabelSet, TargetStatus } from '../types.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function labelList(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '<span class="muted">none</span>';
  return `<ul class="labels">${names
    .map((n) => `<li><b>${escapeHtml(n)}</b>="${escapeHtml(labels[n]!)}"</li>`)
    .join('')}</ul>`;
}

/** A complete page with the shared head, style and navigation. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · logferry</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 0 12px 24px; color: #1b1b1f; }
nav { display: flex; gap: 16px; padding: 10px 0; border-bottom: 1px solid #ddd; flex-wrap: wrap; }
nav a { color: #2456c2; text-decoration: none; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin: 20px 0 6px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; margin: 8px 0; overflow-wrap: anywhere; }
ul.labels { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px; }
ul.labels li { background: #f1f3f7; border-radius: 4px; padding: 1px 6px; font-family: ui-monospace, monospace; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { text-align: left; padding: 2px 6px 2px 0; vertical-align: top; overflow-wrap: anywhere; }
.muted { color: #777; } .drop { color: #b3261e; } code { font-size: 12px; overflow-wrap: anywhere; }
details > summary { cursor: pointer; }
</style>
</head>
<body>
<nav><b>logferry</b><a href="targets">Targets</a><a href="service-discovery">Service discovery</a><a href="config">Config</a><a href="metrics">Metrics</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/**
 * /targets: the file targets and sources, grouped by job; each job's heading gives its number of
 * targets and, when `streams` is given, its active streams (logferry_active_streams).
 */
export function renderTargetsPage(
  targets: readonly TargetStatus[],
  sources: readonly SourceStatus[] = [],
  streams?: ReadonlyMap<string, number>,
): string {
  const byJob = new Map<string, string[]>();
  const add = (job: string, card: string) => byJob.set(job, [...(byJob.get(job) ?? []), card]);
  for (const t of targets) {
    const files = t.files.length
      ? `<table><tr><th>file</th><th>read</th><th>position</th></tr>${t.files
          .map(
            (f) =>
              `<tr><td><code>${escapeHtml(f.path)}</code></td><td>${f.readOffset}</td><td>${f.position}</td></tr>`,
          )
          .join('')}</table>`
      : '<span class="muted">no file matches yet</span>';
    add(
      t.job,
      `<div class="card">${labelList(t.labels)}<div>path <code>${escapeHtml(t.pathGlob)}</code>${
        t.draining ? ' <span class="muted">(gone from discovery: reading to the end)</span>' : ''
      }</div>${files}</div>`,
    );
  }
  for (const s of sources) add(s.job, sourceCard(s));
  const sections = [...byJob.entries()].map(
    ([job, cards]) =>
      `<h2>${escapeHtml(job)} (${cards.length})${streamCount(streams?.get(job))}</h2>${cards.join('')}`,
  );
  const count = targets.length + sources.length;
  const body = sections.length
    ? `<p>${count} active target(s). <a href="service-discovery">Why is a target missing?</a></p>${sections.join('')}`
    : '<p>No active target. <a href="service-discovery">See the discovered targets and why they were dropped.</a></p>';
  return page('Targets', body);
}

/** A job's active streams, after its heading. */
function streamCount(n: number | undefined): string {
  if (n === undefined) return '';
  const title = 'label sets that carried an entry in the last 30 minutes (logferry_active_streams)';
  return ` <span class="muted streams" title="${title}">· <span data-active-streams>${n}</span> active stream${n === 1 ? '' : 's'}</span>`;
}

/** Names of the kinds as Promtail's /targets shows their target types. */
const kindNames: Record<SourceStatus['kind'], string> = {
  journal: 'journal',
  syslog: 'syslog',
  push: 'Loki push API',
};

/** A journal, syslog or push source: its kind, state, labels and facts (address, cursor, counts). */
export function sourceCard(s: SourceStatus): string {
  const state = s.ready ? 'ready' : '<span class="drop">not ready</span>';
  const rows = Object.entries(s.details)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(String(v))}</code></td></tr>`)
    .join('');
  return `<div class="card source ${s.kind}"><div><b>${kindNames[s.kind]}</b> · ${state}</div>${labelList(
    s.labels,
  )}${rows ? `<table>${rows}</table>` : ''}</div>`;
}
