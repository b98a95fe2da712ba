// The agent's pages in a real browser: the built agent runs against the fake Kubernetes API
// server with the fixture cluster, and headless Chromium (Debian's, driven by playwright-core)
// loads /targets and /service-discovery on a phone-sized screen. The pages must list the
// fixture's targets and drops with the dropping rule, fit the screen, and log no console error.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type AgentProcess, runCli, tempDir } from '../support/agent-process.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';

const chromiumPath = '/usr/bin/chromium';
const root = resolve(import.meta.dirname, '../..');
const cluster = JSON.parse(readFileSync(join(root, 'fixtures/k8s/cluster.json'), 'utf8'));
const fixtureConfig = join(root, 'fixtures/dryrun/kubernetes.yaml');

/** Flags Chromium needs on a machine without a network, a GPU or a sandbox. */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// CI installs it (.ci/run): there a missing browser is a failure, not a skip. Elsewhere each
// test is skipped on its own (not the suite), so the runner's summary counts them as skipped.
const skip =
  existsSync(chromiumPath) || process.env.CI
    ? false
    : `${chromiumPath} is not installed (apt-get install chromium)`;

describe('agent pages in Chromium', () => {
  let api: FakeKubeApi;
  let agent: AgentProcess;
  let base: string;
  let browser: BrowserContext;
  let profile: string;
  let cleanup: () => void;
  let configFile: string;

  before(async () => {
    if (skip) return;
    api = await FakeKubeApi.start();
    api.load(cluster);
    const t = tempDir();
    cleanup = t.cleanup;
    configFile = join(t.dir, 'config.yaml');
    const text = readFileSync(fixtureConfig, 'utf8')
      .replace('http_listen_port: 0', 'http_listen_address: 127.0.0.1\n  http_listen_port: 0')
      .replace('/tmp/positions.yaml', join(t.dir, 'positions.yaml'))
      .replace('- role: pod', `- role: pod\n        api_server: ${api.url}`);
    writeFileSync(configFile, text);
    agent = runCli([`-config.file=${configFile}`, '-dry-run'], { env: { HOSTNAME: 'node-a' } });
    base = `http://127.0.0.1:${await agent.port()}`;
    // The pods arrive after the server starts listening: wait until the page has them.
    const deadline = Date.now() + 20_000;
    while (!(await fetch(`${base}/service-discovery`).then((r) => r.text())).includes('init-db')) {
      if (Date.now() > deadline) throw new Error(`no pods discovered; agent log:\n${agent.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    profile = mkdtempSync(join(tmpdir(), 'logferry-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await api?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    cleanup?.();
  });

  /** Opens a path and collects what the console and the page report. */
  async function open(path: string): Promise<{ page: Page; errors: string[]; status: number | undefined }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
    const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
    return { page, errors, status: response?.status() };
  }

  async function fitsTheScreen(page: Page): Promise<void> {
    // A string: the test is compiled without the DOM's types.
    const { scroll, width } = (await page.evaluate(
      '({ scroll: document.documentElement.scrollWidth, width: window.innerWidth })',
    )) as { scroll: number; width: number };
    assert.ok(
      scroll <= width,
      `no sideways scrolling on a phone: content ${scroll}px wide, screen ${width}px`,
    );
  }

  it('/service-discovery lists the targets and the drops with their rule', { skip }, async () => {
    const { page, errors, status } = await open('/service-discovery');
    try {
      assert.equal(status, 200);
      assert.equal(await page.title(), 'Service discovery · logferry');
      const text = (await page.locator('body').textContent()) ?? '';
      assert.match(text, /Node node-a: \d+ discovered target\(s\), 7 active, 2 dropped/);
      const active = await page.locator('.card.active .name').allTextContents();
      assert.deepEqual(active.sort(), [
        'batch-jobs/migrate-28391234-abcde/migrate',
        'default/db-0/postgres',
        'default/pending/app',
        'default/web-7d4b9c6f5-x2x9z/web',
        'localhost',
        'monitoring/node-exporter-k9fqz/kube-rbac-proxy',
        'monitoring/node-exporter-k9fqz/node-exporter',
      ]);
      assert.ok(!text.includes('default/elsewhere'), 'a pod of another node is not discovered');
      const drops = page.locator('.card.dropped');
      assert.deepEqual((await drops.locator('.name').allTextContents()).sort(), [
        'default/web-7d4b9c6f5-x2x9z/init-db',
        'default/web-7d4b9c6f5-x2x9z/istio-proxy',
      ]);
      const ruleLine =
        readFileSync(configFile, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('__meta_kubernetes_pod_container_init')) + 1;
      const initDb = drops.filter({ hasText: 'init-db' });
      assert.equal(
        (await initDb.locator('.drop').textContent()) ?? '',
        `dropped by relabel rule #2 (drop), line ${ruleLine}`,
      );
      assert.equal(
        (await initDb.locator('pre.rule').textContent()) ?? '',
        'source_labels: [__meta_kubernetes_pod_container_init]\nregex: "true"\naction: drop',
      );
      // Labels before relabeling are one tap away, and after relabeling on the card.
      const web = page.locator('.card.active').filter({ hasText: 'default/web-7d4b9c6f5-x2x9z/web' });
      assert.match((await web.textContent()) ?? '', /app="web"/);
      const details = web.locator('details').first();
      assert.equal(await details.locator('ul').isVisible(), false);
      await details.locator('summary').tap();
      assert.equal(await details.locator('ul').isVisible(), true);
      assert.match(
        (await details.textContent()) ?? '',
        /__meta_kubernetes_pod_uid="6e1f2a0c-0d4b-4f7e-9a51-2b8c3d4e5f60"/,
      );
      await fitsTheScreen(page);
      await page.screenshot({ path: join(tmpdir(), 'logferry-service-discovery.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  it('/targets links to /service-discovery and both load without errors', { skip }, async () => {
    const { page, errors, status } = await open('/targets');
    try {
      assert.equal(status, 200);
      assert.match((await page.locator('body').textContent()) ?? '', /7 active target\(s\)/);
      await fitsTheScreen(page);
      await page.screenshot({ path: join(tmpdir(), 'logferry-targets.png'), fullPage: true });
      await Promise.all([
        page.waitForURL(`${base}/service-discovery`),
        page.getByRole('link', { name: 'Why is a target missing?' }).tap(),
      ]);
      assert.equal((await page.locator('h1').textContent()) ?? '', 'Service discovery');
      await fitsTheScreen(page);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
});
