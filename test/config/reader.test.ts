import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConfigNode, parseByteSize, parseDuration } from '../../src/config/reader.js';

describe('ConfigNode', () => {
  const yaml = [
    'server:',
    '  http_listen_port: 9080',
    'clients:',
    '  - url: http://x',
    '    batchwait: 1s',
    '    bogus: 1',
    '',
  ].join('\n');
  const root = ConfigNode.parse(yaml, 'promtail.yaml');

  it('reads typed values', () => {
    assert.equal(root.get('server').get('http_listen_port').integer(), 9080);
    assert.equal(root.get('clients').list()[0]!.get('batchwait').duration(), 1000);
    assert.equal(root.get('positions').get('filename').string('/tmp/p.yaml'), '/tmp/p.yaml');
  });

  it('names file, line and key of an unknown key', () => {
    const client = root.get('clients').list()[0]!;
    assert.throws(
      () => client.expectKeys(['url', 'batchwait']),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.line === 6 &&
        e.key === 'clients[0].bogus' &&
        e.message.startsWith('promtail.yaml:6: clients[0].bogus:'),
    );
  });

  it('names the key of a wrong type', () => {
    assert.throws(() => root.get('server').integer(), /promtail.yaml:2: server: expected a single value/);
    assert.throws(
      () => root.get('server').get('http_listen_port').boolean(),
      /:2: server.http_listen_port: expected true or false/,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    assert.throws(
      () => ConfigNode.parse('a: 1\nb: [\n', 'x.yaml'),
      (e: unknown) => e instanceof ConfigError && e.file === 'x.yaml',
    );
  });
});

describe('durations and sizes', () => {
  const durations: [string, number | undefined][] = [
    ['1s', 1000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['10us', 0.01],
    ['2d', 172_800_000],
    ['0', 0],
    ['5', undefined],
    ['1x', undefined],
    ['', undefined],
  ];
  for (const [text, ms] of durations)
    it(`duration ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), ms));
  const sizes: [string, number | undefined][] = [
    ['1048576', 1048576],
    // Promtail's flagext.ByteSize: every unit binary, any case.
    ['1KB', 1024],
    ['1kb', 1024],
    ['1k', 1024],
    ['1MB', 1048576],
    ['1mb', 1048576],
    ['1MiB', 1048576],
    ['256kb', 262_144],
    ['2 GB', 2 * 1024 ** 3],
    ['10B', 10],
    ['1.5KB', undefined],
    ['-1KB', undefined],
    ['2x', undefined],
  ];
  for (const [text, bytes] of sizes) it(`size ${text}`, () => assert.equal(parseByteSize(text), bytes));
});

describe('ConfigNode: helpers for the loader', () => {
  it('reports a syntax error on its own line, not line 1', () => {
    assert.throws(
      () => ConfigNode.parse('a: 1\nb: 2\nb: 3\n', 'x.yaml'),
      (e: unknown) => e instanceof ConfigError && e.line === 3,
    );
    assert.throws(
      () => ConfigNode.parse('a: 1\nb: [1, 2\n', 'x.yaml'),
      (e: unknown) => e instanceof ConfigError && e.line === 2,
    );
  });

  it('failKey points at the key even when its value starts lower', () => {
    const root = ConfigNode.parse('a: 1\nbogus:\n  x: 1\n', 'x.yaml');
    assert.equal(root.get('bogus').line, 3);
    assert.throws(() => root.failKey('bogus', 'no'), /x.yaml:2: bogus: no/);
  });

  it('expectKeys can show fewer keys than it accepts', () => {
    const root = ConfigNode.parse('a: 1\nz: 2\n', 'x.yaml');
    root.expectKeys(['a', 'hidden', 'z'], ['a', 'z']);
    assert.throws(
      () => ConfigNode.parse('q: 1\n', 'x.yaml').expectKeys(['a', 'hidden'], ['a']),
      /allowed here: a\)$/,
    );
  });

  it('maps lines back through originalLine', () => {
    const root = ConfigNode.parse('a: 1\nb: 2\nc: {d: 1}\n', 'x.yaml', { originalLine: (l) => l * 10 });
    assert.equal(root.get('b').line, 20);
    assert.throws(() => root.get('c').expectKeys([]), /x.yaml:30: c.d: unknown key/);
    assert.throws(
      () => ConfigNode.parse('a: [\n', 'x.yaml', { originalLine: (l) => l + 100 }),
      (e: unknown) => e instanceof ConfigError && e.line === 101,
    );
  });
});

describe('ConfigNode: anchors and aliases', () => {
  it('reads an alias as the anchored node', () => {
    const root = ConfigNode.parse('a: &labels {job: x}\nb: *labels\nc: [*labels]\n', 'x.yaml');
    assert.deepEqual(root.get('b').stringMap(), { job: 'x' });
    assert.deepEqual(root.get('c').list()[0]!.stringMap(), { job: 'x' });
  });
});
