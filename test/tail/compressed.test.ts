import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { InFlightBudget, type LineDelivery } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';
import {
  CompressedFileReader,
  createFileReader,
  type DecompressionConfig,
  parseDecompressionConfig,
  Tailer,
} from '../../src/tail/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-gz-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmpDir = () => fs.mkdtempSync(path.join(root, `${n++}-`));
const gz: DecompressionConfig = { enabled: true, initialDelayMs: 0, format: 'gz' };

function read(file: string, store: PositionStore, decompression: DecompressionConfig, release = true) {
  const got: { line: string; d: LineDelivery }[] = [];
  const reader = createFileReader({
    path: file,
    positions: store,
    budget: new InFlightBudget(),
    decompression,
    onLine: (line, d) => {
      got.push({ line, d });
      if (release) d.release();
    },
  });
  return { reader, got };
}

describe('CompressedFileReader', () => {
  it('reads a gzip file once, counting lines as its position (Promtail)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log.1.gz');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    // Two gzip members, as `cat a.gz b.gz` makes: both are read.
    const half = 2500;
    fs.writeFileSync(
      file,
      Buffer.concat([
        zlib.gzipSync(`${lines.slice(0, half).join('\n')}\n`),
        zlib.gzipSync(`${lines.slice(half).join('\r\n')}`),
      ]),
    );
    const store = new PositionStore({ filename: path.join(dir, 'positions.yaml') });
    const { reader, got } = read(file, store, gz);
    assert.ok(reader instanceof CompressedFileReader);
    await reader.start();
    assert.equal((await reader.done).reason, 'drained');
    assert.deepEqual(
      got.map((g) => g.line),
      lines,
      'CR stripped, last unterminated line emitted',
    );
    assert.equal(store.get(file), 5000);
  });

  it('skips the lines already delivered before a restart', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log.z');
    fs.writeFileSync(file, zlib.deflateSync('a\nb\nc\nd\n'));
    const store = new PositionStore({ filename: path.join(dir, 'positions.yaml') });
    const first = read(file, store, { ...gz, format: 'z' }, false);
    await first.reader.start();
    await first.reader.done;
    first.got[0]!.d.release();
    first.got[2]!.d.release();
    assert.equal(store.get(file), 1);
    const second = read(file, store, { ...gz, format: 'z' });
    await second.reader.start();
    await second.reader.done;
    assert.deepEqual(
      second.got.map((g) => g.line),
      ['b', 'c', 'd'],
    );
    assert.equal(store.get(file), 4);
  });

  it('ends with an error naming the file when the data is not what the format says', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.gz');
    fs.writeFileSync(file, 'not gzip at all\n');
    const { reader } = read(file, new PositionStore({ filename: path.join(dir, 'p.yaml') }), gz);
    await reader.start();
    const end = await reader.done;
    assert.equal(end.reason, 'error');
    assert.ok(end.error!.message.includes(file));
  });

  it('waits initial_delay, and can be stopped meanwhile', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.gz');
    fs.writeFileSync(file, zlib.gzipSync('a\n'));
    const { reader, got } = read(file, new PositionStore({ filename: path.join(dir, 'p.yaml') }), {
      ...gz,
      initialDelayMs: 60_000,
    });
    await reader.start();
    assert.equal((await reader.stop()).reason, 'stopped');
    assert.equal(got.length, 0);
  });

  it('is only used for compressed names with decompression enabled', () => {
    const store = new PositionStore({ filename: path.join(root, 'unused.yaml') });
    assert.ok(read('/x/app.log', store, gz).reader instanceof Tailer);
    assert.ok(read('/x/app.log.gz', store, { ...gz, enabled: false }).reader instanceof Tailer);
    assert.ok(read('/x/app.log.gz', store, gz).reader instanceof CompressedFileReader);
  });
});

describe('parseDecompressionConfig', () => {
  const ok: [string, DecompressionConfig | undefined][] = [
    ['{}', { enabled: false, initialDelayMs: 0, format: 'gz' }],
    [
      '{ enabled: true, format: z, initial_delay: 10s }',
      { enabled: true, initialDelayMs: 10_000, format: 'z' },
    ],
    ['null', undefined],
  ];
  for (const [yaml, want] of ok) {
    it(`reads ${yaml}`, () => {
      assert.deepEqual(
        parseDecompressionConfig(ConfigNode.parse(`decompression: ${yaml}`, 'c.yaml').get('decompression')),
        want,
      );
    });
  }
  const bad: [string, RegExp][] = [
    ['{ enabled: true, format: bz2 }', /bz2 is not supported/],
    ['{ enabled: true, format: zip }', /unsupported format "zip"/],
    ['{ enabled: true, formats: gz }', /formats/],
  ];
  for (const [yaml, want] of bad) {
    it(`refuses ${yaml}`, () => {
      assert.throws(
        () =>
          parseDecompressionConfig(ConfigNode.parse(`decompression: ${yaml}`, 'c.yaml').get('decompression')),
        (e: unknown) => e instanceof ConfigError && want.test(e.message),
      );
    });
  }
});
