// The glob → files listing shared by the agent and the dry-run tools: the base agrees with
// picomatch (extglobs included), symlinked directories are followed once, loops end, and the
// dry-run listing shows only regular files.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DirectoryLister, globBase, listFiles, matchingFiles } from '../../src/targets/file/listing.js';

const root = mkdtempSync(join(tmpdir(), 'logferry-listing-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('globBase', () => {
  const table: [string, string, number][] = [
    ['/var/log/syslog', '/var/log', 0],
    ['/var/log/*.log', '/var/log', 0],
    ['/var/log/pods/*/*/*.log', '/var/log/pods', 2],
    ['/var/log/**/*.log', '/var/log', Number.POSITIVE_INFINITY],
    ['/var/log/@(a|b)/x.log', '/var/log', 1],
    ['/var/log/{a,b}.log', '/var/log', 0],
    ['/var/log/{a/b,c}/*.log', '/var/log', Number.POSITIVE_INFINITY],
    ['/var/log/a[bc]/x', '/var/log', 1],
  ];
  for (const [glob, base, depth] of table) {
    it(glob, () => assert.deepEqual(globBase(glob), { base, depth }));
  }
});

describe('listing files', () => {
  it('finds /var/log/@(a|b)/x.log through the extglob, and only regular files for dry-run', async () => {
    const dir = join(root, 'ext');
    for (const d of ['a', 'b', 'c']) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'x.log'), 'x\n');
    }
    execFileSync('mkfifo', [join(dir, 'a', 'y.log')]);
    assert.deepEqual(await matchingFiles(`${dir}/@(a|b)/x.log`), [
      join(dir, 'a', 'x.log'),
      join(dir, 'b', 'x.log'),
    ]);
    assert.deepEqual(await matchingFiles(`${dir}/a/*.log`), [join(dir, 'a', 'x.log')]);
    // The agent's listing shows the FIFO too: the target manager reports it.
    assert.ok((await listFiles(join(dir, 'a'), 0)).includes(join(dir, 'a', 'y.log')));
  });

  it('follows a symlinked directory once and ends a directory loop', async () => {
    const dir = join(root, 'loop');
    mkdirSync(join(dir, 'real'), { recursive: true });
    writeFileSync(join(dir, 'real', 'x.log'), 'x\n');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    symlinkSync(dir, join(dir, 'real', 'up'));
    const files = await listFiles(dir, Number.POSITIVE_INFINITY);
    assert.equal(files.filter((f) => f.endsWith('x.log')).length, 1);
  });

  it('a rescan reads again only the directories whose modification time changed', async () => {
    const dir = join(root, 'cache');
    mkdirSync(join(dir, 'p1', 'c'), { recursive: true });
    writeFileSync(join(dir, 'p1', 'c', '0.log'), '');
    const lister = new DirectoryLister();
    const roots = new Map([[dir, 2]]);
    assert.deepEqual(await lister.list(roots), [join(dir, 'p1', 'c', '0.log')]);
    mkdirSync(join(dir, 'p2', 'c'), { recursive: true });
    writeFileSync(join(dir, 'p2', 'c', '0.log'), '');
    writeFileSync(join(dir, 'p1', 'c', '1.log'), '');
    assert.deepEqual((await lister.list(roots)).sort(), [
      join(dir, 'p1', 'c', '0.log'),
      join(dir, 'p1', 'c', '1.log'),
      join(dir, 'p2', 'c', '0.log'),
    ]);
    // An unchanged directory is served from the cache: a file added with the old mtime put back is not seen.
    writeFileSync(join(dir, 'p2', 'c', 'hidden.log'), '');
    utimesSync(join(dir, 'p2', 'c'), new Date(0), new Date(0));
    await lister.list(roots);
    writeFileSync(join(dir, 'p2', 'c', 'late.log'), '');
    assert.ok((await lister.list(roots)).includes(join(dir, 'p2', 'c', 'late.log')));
  });
});
