import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/log.js';
import { PositionStore, PositionsError } from '../../src/positions/store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-positions-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmpDir = () => fs.mkdtempSync(path.join(root, `${n++}-`));
const fixture = fileURLToPath(new URL('../../fixtures/positions/promtail-positions.yaml', import.meta.url));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) };
}

describe('PositionStore', () => {
  it('takes over a file Promtail wrote, keeping journal cursors as they are', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'positions.yaml');
    fs.copyFileSync(fixture, file);
    const store = new PositionStore({ filename: file, cleanup: false });
    assert.equal(store.get('/var/log/syslog'), 1834567);
    assert.equal(
      store.get(
        '/var/log/pods/default_nginx-7c5ddbdf54-8xk2p_4f1c2a9e-3b7d-4e21-9a55-0c6f1d2e8b10/nginx/0.log',
      ),
      20481,
    );
    assert.equal(store.get('/var/log/nginx/access.log'), 0);
    assert.equal(store.get('journal-default'), undefined, 'a cursor is not a byte offset');
    const cursor = store.getString('journal-default');
    assert.match(cursor!, /^s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;/);
    store.set('/var/log/syslog', 1900000);
    await store.stop();
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(
      text,
      [
        'positions:',
        '  /var/log/nginx/access.log: "0"',
        '  /var/log/pods/default_nginx-7c5ddbdf54-8xk2p_4f1c2a9e-3b7d-4e21-9a55-0c6f1d2e8b10/nginx/0.log: "20481"',
        '  /var/log/syslog: "1900000"',
        `  "journal-default": ${JSON.stringify(cursor)}`,
        '',
      ].join('\n'),
    );
    // And reads back the same.
    const again = new PositionStore({ filename: file });
    assert.equal(again.get('/var/log/syslog'), 1900000);
    assert.equal(again.getString('journal-default'), cursor);
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
  });

  it('writes odd paths so that they read back exactly', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'p.yaml');
    const store = new PositionStore({ filename: file });
    const keys = [
      '/a b/c: d.log',
      'C:\\logs\\app.log',
      '/x/#y',
      '/ünï/cödé.log',
      'true',
      '/x/"q"',
      '-',
      '/n/10',
    ];
    keys.forEach((k, i) => {
      store.set(k, i * 1000 + 1);
    });
    await store.save();
    const back = new PositionStore({ filename: file });
    keys.forEach((k, i) => {
      assert.equal(back.get(k), i * 1000 + 1, k);
    });
    assert.equal(back.size, keys.length);
  });

  it('starts empty when there is no file, and creates a missing directory when writing', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'deep', 'er', 'positions.yaml');
    const store = new PositionStore({ filename: file });
    assert.equal(store.size, 0);
    store.set('/var/log/a.log', 5);
    await store.save();
    assert.equal(fs.readFileSync(file, 'utf8'), 'positions:\n  /var/log/a.log: "5"\n');
    store.remove('/var/log/a.log');
    await store.save();
    assert.equal(fs.readFileSync(file, 'utf8'), 'positions: {}\n');
  });

  const readable: [string, string, number][] = [
    ['empty file', '', 0],
    ['zero-filled file', '\0\0\0\0\0\0', 0],
    ['null positions', 'positions:\n', 0],
    ['unquoted offset', 'positions:\n  /a.log: 17\n', 1],
    ['unknown top-level key (Promtail refuses it; we warn)', 'positions:\n  /a.log: "17"\nother: 1\n', 1],
    ['offset beyond 2^53 kept as text', 'positions:\n  /a.log: "123456789012345678901"\n', 1],
  ];
  for (const [name, text, size] of readable) {
    it(`reads a ${name}`, () => {
      const file = path.join(tmpDir(), 'p.yaml');
      fs.writeFileSync(file, text);
      const store = new PositionStore({ filename: file });
      assert.equal(store.size, size);
      if (size) assert.ok(store.getString('/a.log'));
    });
  }

  const corrupt: [string, string][] = [
    ['unterminated quote', 'positions:\n  /tmp/random.log: "176\n'],
    ['not a mapping', '- a\n- b\n'],
    ['positions is a list', 'positions:\n  - /a.log\n'],
    ['value is a mapping', 'positions:\n  /a.log:\n    x: 1\n'],
    ['half-written file', 'positions:\n  /a.log: "12'],
  ];
  for (const [name, text] of corrupt) {
    it(`refuses a corrupt file (${name}) with an error naming it, or starts empty with ignore_invalid_yaml`, async () => {
      const file = path.join(tmpDir(), 'p.yaml');
      fs.writeFileSync(file, text);
      assert.throws(
        () => new PositionStore({ filename: file }),
        (e: unknown) =>
          e instanceof PositionsError &&
          e.file === file &&
          e.message.includes(file) &&
          e.message.includes('ignore_invalid_yaml'),
      );
      const { lines, logger } = captureLogger();
      const store = new PositionStore({ filename: file, ignoreInvalidYaml: true, logger });
      assert.equal(store.size, 0);
      assert.ok(lines.some((l) => l.includes('level=warn') && l.includes(file)));
      store.set('/a.log', 3);
      await store.save();
      assert.equal(new PositionStore({ filename: file }).get('/a.log'), 3, 'overwritten with a good file');
    });
  }

  it('names the file when it is a directory', () => {
    const dir = tmpDir();
    assert.throws(
      () => new PositionStore({ filename: dir }),
      (e: unknown) => e instanceof PositionsError && e.message.includes(dir),
    );
  });

  it('writes soon after a change, coalescing many changes into few writes', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'p.yaml');
    const store = new PositionStore({ filename: file, syncPeriodMs: 60_000, minWriteIntervalMs: 100 });
    store.start();
    let renames = 0;
    const w = fs.watch(dir, (_ev, name) => {
      if (name === 'p.yaml') renames++;
    });
    try {
      const started = Date.now();
      for (let i = 1; i <= 2000; i++) {
        store.set('/a.log', i);
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      await until(
        () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"2000"'),
        'last value',
      );
      const took = Date.now() - started;
      // ~200 ms of changes with at most one write per 100 ms: a handful of writes, not 2000.
      assert.ok(renames <= Math.ceil(took / 100) + 3, `${renames} writes in ${took} ms`);
    } finally {
      w.close();
      await store.stop();
    }
  });

  it('writes every sync period even with a long coalescing interval, and at stop', async () => {
    const file = path.join(tmpDir(), 'p.yaml');
    const store = new PositionStore({
      filename: file,
      syncPeriodMs: 50,
      minWriteIntervalMs: 60_000,
      cleanup: false,
    });
    await store.save(); // the coalescing interval now runs from this write
    store.start();
    store.set('/a.log', 42);
    await until(() => fs.readFileSync(file, 'utf8').includes('"42"'), 'periodic write');
    store.set('/a.log', 43);
    await store.stop();
    assert.ok(fs.readFileSync(file, 'utf8').includes('"43"'));
  });

  it('forgets files that no longer exist each sync period, but never cursors', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'p.yaml');
    const live = path.join(dir, 'live.log');
    fs.writeFileSync(live, 'x\n');
    const store = new PositionStore({ filename: file, syncPeriodMs: 20 });
    store.set(live, 2);
    store.set(path.join(dir, 'gone.log'), 7);
    store.setString('journal-default', 's=1;i=2');
    store.setString('cursor-foo', 'abc');
    store.start();
    await until(() => store.size === 3, 'cleanup');
    await store.stop();
    const back = new PositionStore({ filename: file });
    assert.equal(back.get(live), 2);
    assert.equal(back.getString('journal-default'), 's=1;i=2');
    assert.equal(back.getString('cursor-foo'), 'abc');
  });

  it('never writes when read-only', async () => {
    const file = path.join(tmpDir(), 'p.yaml');
    const store = new PositionStore({ filename: file, readOnly: true, syncPeriodMs: 10 });
    store.start();
    store.set('/a.log', 1);
    await store.stop();
    assert.equal(fs.existsSync(file), false);
  });

  it('is never seen half-written by a concurrent reader', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'p.yaml');
    const store = new PositionStore({ filename: file, minWriteIntervalMs: 0 });
    const entries = 300;
    for (let i = 0; i < entries; i++) store.set(`/var/log/pods/some-namespace_pod-${i}/container/0.log`, i);
    await store.save();
    // A separate process reads the file as fast as it can and reports any read that is not a whole file.
    // It says how many reads it has done after each round of reads, so the writer can be sure the
    // reader ran while it wrote, however slowly a loaded machine starts or schedules the reader.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); let reads = 0, bad = 0, stop = false;
         process.stdin.on('data', () => { stop = true; });
         (function loop() {
           for (let i = 0; i < 50; i++) {
             const t = fs.readFileSync(process.argv[1], 'utf8');
             const lines = t.split('\\n');
             reads++;
             if (lines[0] !== 'positions:' || lines.length !== ${entries + 2} || lines[${entries + 1}] !== '') bad++;
           }
           if (stop) { process.stdout.write(JSON.stringify({ reads, bad }) + '\\n'); return; }
           process.stdout.write(reads + '\\n');
           setImmediate(loop);
         })();`,
        file,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let partial = '';
    let result = '';
    let readsSoFar = 0;
    let progress: () => void = () => {};
    reader.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) readsSoFar = Number(line);
        else result = line;
      }
      progress();
    });
    const exited = new Promise((r) => reader.on('exit', r));
    const readsAtLeast = (n: number) =>
      new Promise<void>((resolve) => {
        progress = () => {
          if (readsSoFar >= n || reader.exitCode !== null) resolve();
        };
        progress();
      });
    // Start writing once the reader reads, and write until it has read during the writes.
    await readsAtLeast(1);
    const readsBefore = readsSoFar;
    for (let round = 0; round < 200 || readsSoFar < readsBefore + 101; round++) {
      for (let i = 0; i < entries; i += 7)
        store.set(`/var/log/pods/some-namespace_pod-${i}/container/0.log`, round * 1000 + i);
      await store.save();
      if (reader.exitCode !== null) break;
    }
    reader.stdin.end('stop');
    await exited;
    const { reads, bad } = JSON.parse(result) as { reads: number; bad: number };
    assert.equal(bad, 0, `${bad} of ${reads} reads saw a partial file`);
    assert.ok(reads > 100, `only ${reads} reads`);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f !== 'p.yaml'),
      [],
      'no temp files left',
    );
  });
});
