// Micro-benchmark of the Go template emulation: one parsed template rendered 100k times with
// different data (go/template), and the `template` stage over 50k entries. These were speed
// checks in test/go/gotemplate.test.ts and test/pipeline/template.test.ts; they live here so a
// loaded machine cannot fail a test. Exits 1 when a goal (under 5 s each) is missed.
// Run: node --import tsx bench/template.ts   (`npm run bench` runs it first)

import { GoTemplate } from '../src/go/template/index.js';
import { entry, harness, run } from '../test/support/stage-harness.js';

let ok = true;

function report(what: string, count: number, ms: number, goalMs: number): void {
  const met = ms < goalMs;
  ok &&= met;
  console.log(
    `${what}: ${count} in ${ms.toFixed(0)} ms (${Math.round((count / ms) * 1000)}/s), goal < ${goalMs} ms ${met ? 'OK' : 'MISSED'}`,
  );
}

{
  const t = GoTemplate.parse(
    'pipeline_template',
    '{{ if eq .level "warn" }}{{ .Value | ToUpper }}{{ else }}{{ .Value }}{{ end }}',
  );
  const start = performance.now();
  let out = '';
  for (let i = 0; i < 100_000; i++) out = t.execute({ level: i % 2 ? 'warn' : 'info', Value: `v${i}` });
  const ms = performance.now() - start;
  if (out !== 'V99999') throw new Error(`unexpected render ${out}`);
  report('go template renders', 100_000, ms, 5000);
}

{
  const h = harness();
  const stage = h.build(
    'template:\n  source: level\n  template: \'{{ if eq .Value "warn" }}{{ .Value | ToUpper }}{{ else }}{{ .Value }}{{ end }}\'',
  );
  const entries = Array.from({ length: 50_000 }, (_, i) =>
    entry('x', { extracted: { level: i % 2 ? 'warn' : 'info' } }),
  );
  const start = performance.now();
  run(stage, entries);
  const ms = performance.now() - start;
  if (entries[1]!.extracted.level !== 'WARN') throw new Error('template stage did not render');
  report('template stage entries', 50_000, ms, 5000);
}

process.exit(ok ? 0 : 1);
