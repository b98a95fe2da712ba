// The packages of `npm run package`, built once for this file from the current dist/ (by
// packaging/build.ts, what the npm script runs after `npm run build`): the .deb inspected with
// dpkg-deb, its binary extracted with dpkg -x and run with no node on PATH against the test
// receiver, its maintainer scripts run by dpkg itself on a scratch root, and the packaged config,
// the environment file and the unit checked to agree on every path the agent writes.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/reader.js';
import type { Config } from '../../src/config/types.js';
import { tempDir } from '../support/agent-process.js';
import { startLokiReceiver } from '../support/loki-receiver.js';

const repo = resolve(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const deb = join(repo, `dist-pkg/logferry_${version}_amd64.deb`);
const tarball = join(repo, `dist-pkg/logferry-${version}-linux-amd64.tar.gz`);
const unit = readFileSync(join(repo, 'config/logferry.service'), 'utf8');
const packagedConfig = readFileSync(join(repo, 'packaging/config.yaml'), 'utf8');
const environmentFile = readFileSync(join(repo, 'packaging/logferry.default'), 'utf8');

const found = (cmd: string, arg = '--version') => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const hasDpkg = found('dpkg-deb') && found('dpkg');
const isRoot = process.getuid?.() === 0;

const tmp = tempDir('logferry-package-');
after(() => tmp.cleanup());
/** The .deb's tree, from dpkg -x. */
const extracted = join(tmp.dir, 'x');
/** A PATH with nothing on it: no node, no shell tools. */
const emptyPath = join(tmp.dir, 'empty-path');
const binary = join(extracted, 'usr/bin/logferry');

describe('npm run package', { skip: !hasDpkg && 'dpkg and dpkg-deb are not installed' }, () => {
  before(() => {
    execFileSync(process.execPath, ['--import', 'tsx', 'packaging/build.ts'], {
      cwd: repo,
      env: { ...process.env, LOGFERRY_PKG_GZIP: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
    execFileSync('dpkg', ['-x', deb, extracted]);
    mkdirSync(emptyPath);
  });

  it('builds a .deb whose control, conffiles and maintainer scripts are as installed', () => {
    const info = execFileSync('dpkg-deb', ['-I', deb], { encoding: 'utf8' });
    const field = (name: string) => new RegExp(`^ ${name}: (.*)$`, 'm').exec(info)?.[1];
    assert.equal(field('Package'), 'logferry');
    assert.equal(field('Version'), version);
    assert.equal(field('Architecture'), 'amd64');
    assert.doesNotMatch(field('Depends') ?? '', /node/, 'no Node.js from the host');
    assert.ok(Number(field('Installed-Size')) > 10_000, 'Installed-Size in KiB');
    // dpkg-deb -I lists the control members, executables with a star.
    for (const script of ['postinst', 'prerm', 'postrm']) {
      assert.match(info, new RegExp(`\\*\\s+${script}\\s+#!/bin/sh`), `${script} is an executable script`);
    }
    const conffiles = execFileSync('dpkg-deb', ['--ctrl-tarfile', deb]);
    const list = execFileSync('tar', ['-xO', './conffiles'], { input: conffiles, encoding: 'utf8' });
    assert.deepEqual(list.trim().split('\n').sort(), ['/etc/default/logferry', '/etc/logferry/config.yaml']);
  });

  it('installs the binary, the unit, the config and the environment file, owned by root', () => {
    const listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
    const files = new Map(
      listing
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map((f) => [f.at(-1)!.replace(/^\./, ''), { mode: f[0]!, owner: f[1]! }]),
    );
    const expected: [string, string][] = [
      ['/usr/bin/logferry', '-rwxr-xr-x'],
      ['/lib/systemd/system/logferry.service', '-rw-r--r--'],
      ['/etc/logferry/config.yaml', '-rw-r--r--'],
      // It may hold LOKI_PASSWORD; systemd reads it as root.
      ['/etc/default/logferry', '-rw-------'],
      ['/usr/share/doc/logferry/copyright', '-rw-r--r--'],
    ];
    for (const [path, mode] of expected) {
      assert.equal(files.get(path)?.mode, mode, path);
      assert.equal(files.get(path)?.owner, 'root/root', path);
    }
    const regular = [...files].filter(([, f]) => f.mode.startsWith('-')).map(([p]) => p);
    assert.deepEqual(regular.sort(), expected.map(([p]) => p).sort());
    // Nothing enabled by the package itself.
    assert.ok(![...files.keys()].some((p) => p.includes('.wants/')));
    assert.equal(readFileSync(join(extracted, 'lib/systemd/system/logferry.service'), 'utf8'), unit);
    assert.equal(readFileSync(join(extracted, 'etc/logferry/config.yaml'), 'utf8'), packagedConfig);
  });

  it('builds a tarball with the same single executable', () => {
    const listing = execFileSync('tar', ['-tzvf', tarball], { encoding: 'utf8' }).trim().split('\n');
    const executables = listing.filter((l) => /^-..x/.test(l)).map((l) => l.split(/\s+/).at(-1));
    assert.deepEqual(executables, [`logferry-${version}-linux-amd64/logferry`]);
    const fromTar = execFileSync('tar', ['-xzOf', tarball, `logferry-${version}-linux-amd64/logferry`], {
      maxBuffer: 512 * 1024 ** 2,
    });
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(fromTar), sha(readFileSync(binary)));
  });

  it('the extracted binary runs with no node on PATH: -version', () => {
    assert.ok(!existsSync(join(emptyPath, 'node')));
    const out = execFileSync(binary, ['-version'], { env: { PATH: emptyPath }, encoding: 'utf8' });
    // Its own runtime, not this machine's node.
    assert.match(out, new RegExp(`^logferry, version ${version.replaceAll('.', '\\.')} \\(node v\\d+\\.`));
    const pinned = JSON.parse(readFileSync(join(repo, 'packaging/runtime.json'), 'utf8')) as {
      version: string;
    };
    assert.ok(out.includes(`node v${pinned.version}`), out);
  });

  it('the extracted binary ships lines to Loki and saves positions on SIGTERM', async () => {
    const receiver = await startLokiReceiver();
    const dir = join(tmp.dir, 'ship');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const log = join(dir, 'logs/app.log');
    writeFileSync(log, 'first line\nsecond line\n');
    // The packaged config's shape (disk buffer on), with paths moved to the temp dir and the URL
    // from LOKI_URL.
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'server: {http_listen_address: 127.0.0.1, http_listen_port: 0}',
        `positions: {filename: ${join(dir, 'positions.yaml')}, sync_period: 100ms}`,
        `wal: {enabled: true, dir: ${join(dir, 'wal')}}`,
        'clients:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference for -config.expand-env.
        '  - url: ${LOKI_URL:-http://localhost:3100/loki/api/v1/push}',
        '    batchwait: 100ms',
        'scrape_configs:',
        '  - job_name: system',
        '    static_configs:',
        '      - targets: [localhost]',
        `        labels: {job: varlogs, __path__: ${join(dir, 'logs')}/*log}`,
        '    pipeline_stages:',
        '      - regex: {expression: "^(?P<word>[a-z]+) line$"}',
        '      - labels: {word: ""}',
        '',
      ].join('\n'),
    );
    const agent = spawn(binary, [`-config.file=${config}`, '-config.expand-env=true'], {
      env: { PATH: emptyPath, LOKI_URL: receiver.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    const failedEarly = exited.then((code) => {
      throw new Error(`the binary exited (${code}) before shipping:\n${stderr}`);
    });
    failedEarly.catch(() => {});
    try {
      await Promise.race([receiver.waitForEntries(2, 30_000), failedEarly]);
      appendFileSync(log, 'third line\n');
      const entries = await Promise.race([receiver.waitForEntries(3, 30_000), failedEarly]);
      assert.deepEqual(
        entries.map((e) => [e.line, e.labels.word, e.labels.job, e.labels.filename]),
        [
          ['first line', 'first', 'varlogs', log],
          ['second line', 'second', 'varlogs', log],
          ['third line', 'third', 'varlogs', log],
        ],
      );
    } finally {
      agent.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      await receiver.close();
    }
    const positions = parseYaml(readFileSync(join(dir, 'positions.yaml'), 'utf8')) as {
      positions: Record<string, string>;
    };
    assert.equal(positions.positions[log], String(statSync(log).size));
    assert.ok(
      readdirSync(join(dir, 'wal')).some((f) => f.endsWith('.wal')),
      'through the disk buffer',
    );
  });
});

describe('the packaged host config, environment file and unit', () => {
  const stateDirectory = `/var/lib/${/^StateDirectory=(\S+)$/m.exec(unit)![1]}`;

  /**
   * The packaged config as the unit loads it (expand-env on). Until the journal source lands the
   * loader refuses `journal:`; the other jobs are checked without it then.
   */
  function load(env: NodeJS.ProcessEnv): { config: Config; journalSupported: boolean } {
    const file = '/etc/logferry/config.yaml';
    try {
      return { config: parseConfig(packagedConfig, file, { expandEnv: true, env }), journalSupported: true };
    } catch (e) {
      if (!(e instanceof ConfigError && /journal.*not supported yet/.test(e.message))) throw e;
      const raw = parseYaml(packagedConfig) as { scrape_configs: { journal?: unknown }[] };
      raw.scrape_configs = raw.scrape_configs.filter((s) => !s.journal);
      return {
        config: parseConfig(stringify(raw), file, { expandEnv: true, env }),
        journalSupported: false,
      };
    }
  }

  it('loads, with the Loki URL from the environment file and a default without it', (t) => {
    const { config, journalSupported } = load({});
    if (!journalSupported)
      t.diagnostic('the journal job is left out: this logferry cannot read the journal yet');
    assert.equal(config.clients[0]!.url, 'http://localhost:3100/loki/api/v1/push');
    assert.equal(config.clients[0]!.basicAuth, undefined, 'no credentials unless set');
    assert.equal(config.clients[0]!.tenantId, undefined);
    const env = Object.fromEntries(
      environmentFile
        .split('\n')
        .map((l) => /^#?([A-Z_]+)=(.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => [m[1]!, m[2] || `${m[1]!.toLowerCase()}-value`]),
    );
    assert.deepEqual(Object.keys(env).sort(), [
      'LOKI_PASSWORD',
      'LOKI_TENANT_ID',
      'LOKI_URL',
      'LOKI_USERNAME',
    ]);
    env.LOKI_URL = 'https://loki.example:3100/loki/api/v1/push';
    const withEnv = load(env).config.clients[0]!;
    assert.equal(withEnv.url, env.LOKI_URL);
    assert.deepEqual(withEnv.basicAuth, { username: 'loki_username-value', password: 'loki_password-value' });
    assert.equal(withEnv.tenantId, 'loki_tenant_id-value');
    const jobs = config.scrapeConfigs.map((s) => s.jobName);
    assert.deepEqual(jobs, journalSupported ? ['journal', 'system'] : ['system']);
    const raw = parseYaml(packagedConfig) as { scrape_configs: Record<string, unknown>[] };
    assert.deepEqual(raw.scrape_configs[0], {
      job_name: 'journal',
      journal: { max_age: '12h', path: '/var/log/journal', labels: { job: 'systemd-journal' } },
      relabel_configs: [{ source_labels: ['__journal__systemd_unit'], target_label: 'unit' }],
    });
  });

  it('writes only under the unit’s state directory', () => {
    const { config } = load({});
    assert.equal(stateDirectory, '/var/lib/logferry');
    assert.equal(dirname(config.positions.filename), stateDirectory);
    // The disk buffer is on, and lives there too.
    assert.equal(config.wal?.enabled, true, 'the disk buffer');
    assert.equal(dirname(config.wal.dir), stateDirectory);
    // No other writable path: the unit's hardening makes everything else read-only.
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.doesNotMatch(unit, /^ReadWritePaths=/m);
    assert.match(unit, /^WorkingDirectory=\/var\/lib\/logferry$/m);
  });

  it('the unit runs the installed binary on the installed config with the environment file', () => {
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    assert.deepEqual(exec, [
      '/usr/bin/logferry',
      '-config.file=/etc/logferry/config.yaml',
      '-config.expand-env=true',
    ]);
    assert.match(unit, /^EnvironmentFile=-\/etc\/default\/logferry$/m);
    assert.match(unit, /^User=logferry$/m);
    assert.match(unit, /^SupplementaryGroups=adm systemd-journal$/m);
  });

  it('passes systemd-analyze verify with the packaged binary', {
    skip: (!found('systemd-analyze') || !hasDpkg) && 'systemd-analyze or dpkg is not installed',
  }, () => {
    // verify checks that ExecStart's program exists: the binary extracted by the package tests,
    // or this machine's node when those did not run.
    const program = existsSync(binary) ? binary : process.execPath;
    const local = join(tmp.dir, 'logferry.service');
    writeFileSync(local, unit.replace(/^ExecStart=\/usr\/bin\/logferry /m, `ExecStart=${program} `));
    const out = spawnSync('systemd-analyze', ['verify', local], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout.trim(), '');
  });
});

describe('dpkg -i, -r and --purge on a scratch root', {
  skip: (!hasDpkg || !isRoot || !found('useradd', '--help')) && 'needs dpkg, useradd and root',
}, () => {
  // dpkg --root installs into a tree of its own; --force-script-chrootless runs the maintainer
  // scripts on this machine with DPKG_ROOT set to that tree, which they honour (useradd --prefix
  // and friends): this machine's users and files are not touched.
  const root = join(tmp.dir, 'root');
  const dpkg = (...args: string[]) =>
    execFileSync('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-depends', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const etc = (file: string) => readFileSync(join(root, 'etc', file), 'utf8');

  before(() => {
    for (const d of [
      'var/lib/dpkg/info',
      'var/lib/dpkg/updates',
      'var/lib/dpkg/triggers',
      'etc',
      'var/log',
    ]) {
      mkdirSync(join(root, d), { recursive: true });
    }
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    // A host without the adm and systemd-journal groups: the postinst creates them.
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n');
    if (existsSync('/etc/login.defs'))
      writeFileSync(join(root, 'etc/login.defs'), readFileSync('/etc/login.defs'));
  });

  it('install creates the user in adm and systemd-journal and its state directory, and enables nothing', () => {
    const hostPasswd = readFileSync('/etc/passwd', 'utf8');
    dpkg('-i', deb);
    assert.equal(readFileSync('/etc/passwd', 'utf8'), hostPasswd, 'this machine is untouched');
    const user = /^logferry:x:(\d+):(\d+):[^:\n]*:([^:\n]*):([^:\n]*)$/m.exec(etc('passwd'));
    assert.ok(user, 'the logferry user');
    assert.equal(user[3], '/var/lib/logferry');
    assert.equal(user[4], '/usr/sbin/nologin');
    for (const group of ['adm', 'systemd-journal']) {
      assert.match(etc('group'), new RegExp(`^${group}:x:\\d+:logferry$`, 'm'), `${group} has logferry`);
    }
    assert.match(etc('group'), new RegExp(`^logferry:x:${user[2]}:`, 'm'), 'its own group');
    const state = statSync(join(root, 'var/lib/logferry'));
    assert.equal(state.uid, Number(user[1]));
    assert.equal(state.gid, Number(user[2]));
    assert.equal(state.mode & 0o777, 0o750);
    assert.ok(existsSync(join(root, 'usr/bin/logferry')));
    assert.ok(!existsSync(join(root, 'etc/systemd/system')), 'no unit enabled');
    // Reinstalling (an upgrade) keeps the user and adds nothing.
    const passwd = etc('passwd');
    dpkg('-i', deb);
    assert.equal(etc('passwd'), passwd);
  });

  it('dpkg -r keeps positions and the config; dpkg --purge removes them', () => {
    writeFileSync(join(root, 'var/lib/logferry/positions.yaml'), 'positions: {}\n');
    dpkg('-r', 'logferry');
    assert.ok(!existsSync(join(root, 'usr/bin/logferry')));
    assert.ok(existsSync(join(root, 'var/lib/logferry/positions.yaml')), 'positions kept');
    assert.ok(existsSync(join(root, 'etc/logferry/config.yaml')), 'conffile kept');
    dpkg('--purge', 'logferry');
    assert.ok(!existsSync(join(root, 'var/lib/logferry')), 'positions purged');
    assert.ok(!existsSync(join(root, 'etc/logferry/config.yaml')), 'config purged');
    assert.ok(!existsSync(join(root, 'etc/default/logferry')), 'environment file purged');
  });
});
