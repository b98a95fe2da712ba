// The README's quick start: `npm run demo` ships the bundled pod logs with -dry-run.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { it } from 'node:test';
import { runCli } from '../support/agent-process.js';

it('the quick-start demo prints every bundled entry with its labels', async () => {
  const agent = runCli(['-config.file=config/examples/demo.yaml', '-dry-run'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { TZ: 'UTC' },
  });
  try {
    await agent.waitForStdout(/(.*\n){8}/);
    const lines = agent.stdout.trim().split('\n');
    assert.equal(lines.length, 8);
    // The two files are read side by side: their lines may interleave in any order.
    assert.ok(
      lines.includes(
        '2026-11-22T09:00:03.000000001+0000\t{container="web", job="shop/web", level="warn", namespace="shop", pod="web-7d4b9c6f5-x2x9z", stream="stdout"}\t{"level":"warn","msg":"a long line split by the kubelet into a partial fragment and a final one"}',
      ),
    );
    assert.ok(
      lines.some((l) =>
        l.includes(
          // No tab: these labels are 104 characters wide, a multiple of 8 (Promtail's tabwriter).
          'level="warn", namespace="shop", pod="worker-0", stream="stderr"}level=warn msg="retrying job" attempt=2',
        ),
      ),
    );
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
