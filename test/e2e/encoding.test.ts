// `encoding:` through the built CLI: files in other character sets are read, split on their own
// newline and shipped as UTF-8, as Promtail decodes them.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, staticJob, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

describe('encoding: files in other character sets are shipped as UTF-8', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('ISO-8859-1, windows-1252, Shift_JIS, UTF-16LE (with BOM) and UTF-16BE, split on the encoded newline', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const want: Record<string, string[]> = {
      latin1: ['café crème', 'naïve ÿ', 'x\u0085y'],
      cp1252: ['“quoted” – €5', 'plain'],
      sjis: ['日本語のログ', 'ｶﾀｶﾅ'],
      utf16le: ['héllo wörld', 'Ċ and ਊ hold 0x0a bytes', '😀 emoji'],
      utf16be: ['big ěndian', 'Ċ again'],
    };
    // Bytes written the way each encoding writes them (Node encodes Latin-1 and UTF-16LE itself).
    writeFileSync(join(dir, 'logs', 'latin1.log'), Buffer.from(`${want.latin1!.join('\n')}\n`, 'latin1'));
    writeFileSync(
      join(dir, 'logs', 'cp1252.log'),
      Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from('quoted', 'latin1'),
        Buffer.from([0x94, 0x20, 0x96, 0x20, 0x80]),
        Buffer.from('5\nplain\n', 'latin1'),
      ]),
    );
    writeFileSync(
      join(dir, 'logs', 'sjis.log'),
      Buffer.from([
        0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea, 0x82, 0xcc, 0x83, 0x8d, 0x83, 0x4f, 0x0a, 0xb6, 0xc0, 0xb6, 0xc5,
        0x0a,
      ]),
    );
    const le = Buffer.from(`\uFEFF${want.utf16le!.join('\n')}\n`, 'utf16le');
    writeFileSync(join(dir, 'logs', 'utf16le.log'), le);
    const be = Buffer.from(`${want.utf16be!.join('\n')}\n`, 'utf16le');
    be.swap16();
    writeFileSync(join(dir, 'logs', 'utf16be.log'), be);

    const encodings: Record<string, string> = {
      latin1: 'ISO-8859-1',
      cp1252: 'windows-1252',
      sjis: 'Shift_JIS',
      utf16le: 'UTF-16LE',
      utf16be: 'UTF-16BE',
    };
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: Object.entries(encodings)
        .map(([name, enc]) => staticJob(name, `${dir}/logs/${name}.log`, [`    encoding: ${enc}`]))
        .join('\n'),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const total = Object.values(want).reduce((n, l) => n + l.length, 0);
      await loki
        .waitFor((r) => r.entries().length >= total, 30_000)
        .catch((e) => {
          console.error(agent.stderr, JSON.stringify(loki.entries().map((x) => [x.labels.job, x.line])));
          throw e;
        });
      for (const [name, lines] of Object.entries(want)) {
        const got = loki
          .entries()
          .filter((e) => e.labels.job === name)
          .map((e) => e.line);
        assert.deepEqual(got, lines, name);
      }
    } finally {
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });
});
