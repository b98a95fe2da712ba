// The deploy files: k8s/ manifests parse and hang together (the DaemonSet mounts what the
// ConfigMap's config reads, probes reach the configured port, RBAC grants exactly the resources
// the discovery code lists and watches, as recorded by the fake API server), the default config
// loads, and the Dockerfile builds only what exists and runs with production dependencies only.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import picomatch from 'picomatch';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { buildDiscoverers, parseDiscoveryConfigs } from '../../src/discovery/index.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from '../support/agent-process.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';

const repo = resolve(import.meta.dirname, '../..');
const k8sDir = join(repo, 'k8s');

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked field by field.
type Manifest = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(d.name) ? [p] : [];
  });
}

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    assert.equal(doc.errors.length, 0, `${file}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Manifest;
  });
}

const kustomization = parseYaml(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as Manifest;
const objects = (kustomization.resources as string[]).flatMap((f) => load(join(k8sDir, f)));
const byKind = (kind: string): Manifest => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};
const daemonSet = byKind('DaemonSet');
const configMap = byKind('ConfigMap');
const clusterRole = byKind('ClusterRole');
const binding = byKind('ClusterRoleBinding');
const serviceAccount = byKind('ServiceAccount');
const pod = daemonSet.spec.template.spec;
const container = pod.containers[0];

const tmp = tempDir('logferry-manifests-');
after(() => tmp.cleanup());

/** The ConfigMap's config, loaded by the real config loader. */
function defaultConfig(edit?: (raw: Manifest) => void): { config: Config; raw: Manifest; file: string } {
  const text = configMap.data['config.yaml'] as string;
  const raw = parseYaml(text) as Manifest;
  edit?.(raw);
  const file = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, edit ? stringify(raw) : text);
  return { config: loadConfig(file, { expandEnv: false }), raw, file };
}

function mountFor(path: string): { mount: Manifest; volume: Manifest } | undefined {
  const mounts = (container.volumeMounts as Manifest[])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = mounts[0];
  if (!mount) return undefined;
  return { mount, volume: (pod.volumes as Manifest[]).find((v) => v.name === mount.name)! };
}

describe('k8s manifests', () => {
  it('parse, and the kustomization lists every manifest', () => {
    const files = yamlFiles(k8sDir).map((f) => relative(k8sDir, f));
    const listed = new Set(kustomization.resources as string[]);
    for (const f of files) {
      const docs = load(join(k8sDir, f));
      for (const d of docs) assert.ok(d.apiVersion && d.kind, `${f}: apiVersion and kind`);
      if (f === 'kustomization.yaml' || f.startsWith('components/')) continue;
      assert.ok(listed.has(f), `${f} is in kustomization.yaml`);
      for (const d of docs) assert.ok(d.metadata?.name, `${f}: metadata.name`);
    }
    for (const f of listed) assert.ok(files.includes(f), `${f} exists`);
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ClusterRole',
      'ClusterRoleBinding',
      'ConfigMap',
      'DaemonSet',
      'Namespace',
      'ServiceAccount',
    ]);
    const ns = byKind('Namespace').metadata.name;
    assert.equal(kustomization.namespace, ns);
    for (const o of [daemonSet, configMap, serviceAccount]) assert.equal(o.metadata.namespace, ns);
  });

  it('build with kubectl kustomize, with and without the attach-metadata component', (t) => {
    if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status !== 0) {
      t.skip('kubectl is not installed');
      return;
    }
    const built = parseAllDocuments(execFileSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' })).map(
      (d) => d.toJS() as Manifest,
    );
    assert.equal(built.length, 6);
    const overlay = join(tmp.dir, 'overlay');
    mkdirSync(overlay);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      stringify({
        resources: [relative(overlay, k8sDir)],
        components: [relative(overlay, join(k8sDir, 'components/attach-metadata'))],
      }),
    );
    // kustomize refuses absolute paths and roots outside the overlay's tree unless told otherwise.
    const withMeta = spawnSync('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', overlay], {
      encoding: 'utf8',
    });
    assert.equal(withMeta.status, 0, withMeta.stderr);
    const role = parseAllDocuments(withMeta.stdout)
      .map((d) => d.toJS() as Manifest)
      .find((o) => o.kind === 'ClusterRole')!;
    assert.deepEqual(
      role.rules.map((r: Manifest) => r.resources[0]),
      ['pods', 'nodes', 'namespaces'],
    );
  });

  it('the DaemonSet mounts what the ConfigMap’s config reads and writes', () => {
    const { config, raw } = defaultConfig();
    // The config file.
    const arg = (container.args as string[]).find((a) => a.startsWith('-config.file='))!;
    const configFile = arg.slice('-config.file='.length);
    const cfg = mountFor(configFile)!;
    assert.equal(cfg.volume.configMap.name, configMap.metadata.name);
    assert.ok(
      configMap.data[relative(cfg.mount.mountPath, configFile)],
      'the file is a key of the ConfigMap',
    );
    assert.equal(config.scrapeConfigs[0]!.jobName, 'kubernetes-pods');

    // Every __path__ the relabel rules can produce lies in a read-only hostPath at the same path.
    const paths = (raw.scrape_configs[0].relabel_configs as Manifest[])
      .filter((r) => r.target_label === '__path__')
      .map((r) => r.replacement as string);
    assert.equal(paths.length, 2);
    for (const p of paths) {
      const base = p.slice(0, p.indexOf('*')).replace(/\/$/, '');
      const m = mountFor(base);
      assert.ok(m, `${p} is mounted`);
      assert.equal(m.mount.readOnly, true, `${p} read-only`);
      assert.equal(m.volume.hostPath.path, m.mount.mountPath, 'the same path as on the node');
      assert.equal(m.mount.mountPath, '/var/log/pods');
    }

    // Positions: writable, on the node, so they survive restarts.
    const positions = mountFor(dirname(config.positions.filename))!;
    assert.ok(positions, `${config.positions.filename} is mounted`);
    assert.notEqual(positions.mount.readOnly, true);
    assert.ok(positions.volume.hostPath, 'positions on a hostPath');

    // The node name for the pod watch.
    const hostname = (container.env as Manifest[]).find((e) => e.name === 'HOSTNAME')!;
    assert.equal(hostname.valueFrom.fieldRef.fieldPath, 'spec.nodeName');

    // Probes on /ready at the configured port.
    const port = (container.ports as Manifest[]).find(
      (p) => p.containerPort === config.server.httpListenPort,
    );
    assert.ok(port, `a container port ${config.server.httpListenPort}`);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      assert.equal(probe.httpGet.path, '/ready');
      assert.ok(probe.httpGet.port === port.name || probe.httpGet.port === port.containerPort);
    }
    assert.ok(
      pod.terminationGracePeriodSeconds * 1000 > config.server.gracefulShutdownTimeoutMs,
      'time to send what was read before the kill',
    );
  });

  it('the DaemonSet runs everywhere, within limits, with as little privilege as the log files allow', () => {
    assert.ok(
      (pod.tolerations as Manifest[]).some((t) => t.operator === 'Exists' && !t.key && !t.effect),
      'tolerates every taint',
    );
    assert.equal(pod.priorityClassName, 'system-node-critical');
    for (const kind of ['requests', 'limits']) {
      assert.ok(container.resources[kind].cpu, `${kind}.cpu`);
      assert.ok(container.resources[kind].memory, `${kind}.memory`);
    }
    const sc = container.securityContext;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    assert.equal(sc.capabilities.add, undefined);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.notEqual(sc.privileged, true);
    // The kubelet writes pod logs as root, mode 0640: reading them takes uid 0, not a capability.
    assert.equal(pod.securityContext.runAsUser, 0);
    for (const m of container.volumeMounts as Manifest[]) {
      const v = (pod.volumes as Manifest[]).find((x) => x.name === m.name)!;
      if (v.hostPath && m.mountPath !== '/var/lib/logferry')
        assert.equal(m.readOnly, true, `${m.mountPath} read-only`);
    }
    assert.equal(pod.serviceAccountName, serviceAccount.metadata.name);
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: clusterRole.metadata.name,
    });
    assert.deepEqual(binding.subjects, [
      {
        kind: 'ServiceAccount',
        name: serviceAccount.metadata.name,
        namespace: serviceAccount.metadata.namespace,
      },
    ]);
  });

  const component = parseYaml(
    readFileSync(join(k8sDir, 'components/attach-metadata/kustomization.yaml'), 'utf8'),
  ) as Manifest;
  const componentRules = (parseYaml(component.patches[0].patch) as Manifest[]).map(
    (op) => op.value as Manifest,
  );

  const rbacCases: [string, (raw: Manifest) => void, Manifest[]][] = [
    ['the default config', () => {}, clusterRole.rules],
    [
      'attach_metadata node and namespace',
      (raw) => {
        raw.scrape_configs[0].kubernetes_sd_configs[0].attach_metadata = { node: true, namespace: true };
      },
      [...clusterRole.rules, ...componentRules],
    ],
  ];
  for (const [name, edit, rules] of rbacCases) {
    it(`RBAC grants exactly the resources the code lists and watches, with ${name}`, async () => {
      const { config } = defaultConfig(edit);
      const tls = join(repo, 'fixtures/k8s/tls');
      const api = await FakeKubeApi.start({
        tls: { key: readFileSync(join(tls, 'server.key')), cert: readFileSync(join(tls, 'server.crt')) },
        auth: { bearerToken: 'sa-token' },
      });
      const sa = join(tmp.dir, `sa-${name.length}`);
      mkdirSync(sa, { recursive: true });
      writeFileSync(join(sa, 'token'), 'sa-token');
      writeFileSync(join(sa, 'ca.crt'), readFileSync(join(tls, 'ca.crt')));
      writeFileSync(join(sa, 'namespace'), 'logferry');
      const env = {
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: new URL(api.url).port,
        HOSTNAME: 'n1',
      };
      const [discoverer] = buildDiscoverers(config.scrapeConfigs[0]!, silentLogger, {
        env,
        serviceAccountDir: sa,
      });
      try {
        await discoverer!.start(() => {});
        await api.waitFor(
          (a) => a.openWatches === (name === 'the default config' ? 1 : 3),
          5000,
          'the watches',
        );
      } finally {
        await discoverer!.stop();
        await api.close();
      }
      assert.ok(
        api.requests.every((r) => r.status === 200),
        'the in-cluster service account was used',
      );
      const called = api.calls().map((c) => c.split(' ') as [string, string]);
      const granted = new Map<string, Set<string>>();
      for (const rule of rules) {
        assert.deepEqual(rule.apiGroups, [''], 'core API group only');
        for (const res of rule.resources as string[]) {
          granted.set(res, new Set([...(granted.get(res) ?? []), ...(rule.verbs as string[])]));
        }
      }
      assert.deepEqual(
        [...granted.keys()].sort(),
        [...new Set(called.map(([, res]) => res))].sort(),
        'the same resources',
      );
      for (const [verb, res] of called) assert.ok(granted.get(res)!.has(verb), `${verb} ${res} is granted`);
      for (const verbs of granted.values())
        for (const v of verbs) assert.ok(['get', 'list', 'watch'].includes(v), `read-only verb ${v}`);
    });
  }

  it('the default config passes the discovery checks', () => {
    const { config } = defaultConfig();
    const { kubernetes } = parseDiscoveryConfigs(config.scrapeConfigs[0]!);
    assert.equal(kubernetes.length, 1);
    assert.equal(kubernetes[0]!.apiServer, undefined, 'in-cluster');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(repo, 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { name: string; lines: string[] }[] = [];
  for (const l of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) stages.push({ name: from[2] ?? `stage${stages.length}`, lines: [l] });
    else stages.at(-1)?.lines.push(l);
  }
  const final = stages.at(-1)!;
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    engines: { node: string };
  };

  it('is multi-stage, installs production dependencies only for the final image, and runs as non-root', () => {
    assert.ok(stages.length >= 2, 'several stages');
    const deps = stages.find((s) =>
      final.lines.some((l) => l.includes(`--from=${s.name} `) && l.includes('node_modules')),
    );
    assert.ok(deps, 'node_modules come from a stage');
    assert.ok(
      deps.lines.some((l) => /npm (ci|install) .*--omit=dev/.test(l)),
      'that stage omits dev dependencies',
    );
    assert.ok(!final.lines.some((l) => /^RUN .*npm (ci|install)/.test(l)), 'no install in the final stage');
    const user = final.lines.filter((l) => l.startsWith('USER ')).at(-1);
    assert.ok(user && !/^USER\s+(root|0)(:|$)/.test(user), `a non-root USER (${user})`);
    assert.ok(final.lines.some((l) => l.startsWith('ENTRYPOINT') && l.includes('dist/cli.js')));
    assert.ok(
      final.lines.some((l) => /^COPY .*package\.json/.test(l)),
      'package.json, read for the version',
    );
  });

  it('uses a Node version that package.json accepts', () => {
    const arg = /^ARG NODE_VERSION=(\d+)\.(\d+)/m.exec(text)!;
    const min = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!;
    const version = [Number(arg[1]), Number(arg[2])];
    assert.ok(
      version[0]! > Number(min[1]) || (version[0] === Number(min[1]) && version[1]! >= Number(min[2])),
    );
  });

  it('copies only what exists and what .dockerignore lets in', () => {
    const rules = readFileSync(join(repo, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => ({ negate: l.startsWith('!'), match: picomatch(l.replace(/^!/, ''), { dot: true }) }));
    const included = (path: string) => {
      let inc = true;
      for (const r of rules) if (r.match(path)) inc = r.negate;
      return inc;
    };
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    assert.ok(copies.length > 0);
    for (const l of copies) {
      const parts = l.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1)) {
        const path = join(repo, src);
        assert.ok(statSync(path, { throwIfNoEntry: false }), `${src} exists`);
        const files = statSync(path).isDirectory() ? yamlFilesOrAll(path) : [path];
        for (const f of files) assert.ok(included(relative(repo, f)), `${relative(repo, f)} is not ignored`);
      }
    }
    assert.equal(included('node_modules/x/index.js'), false);
    assert.equal(included('.git/config'), false);
  });

  it('needs no dev dependency at run time: every package imported by src/ is a production dependency', () => {
    const files = yamlFilesOrAll(join(repo, 'src')).filter((f) => f.endsWith('.ts'));
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      const specs = [
        ...src.matchAll(/^\s*import\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm),
        ...src.matchAll(/^\s*export\s+[^'"]*?from\s+'([^']+)'/gm),
        ...src.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
        ...src.matchAll(/\)\(\s*'([^'./][^']*)'\s*\)/g),
      ].map((m) => m[1]!);
      for (const s of specs) {
        if (s.startsWith('.') || s.startsWith('node:') || builtins.has(s)) continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        if (!pkg.dependencies[name]) missing.push(`${relative(repo, f)}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

function yamlFilesOrAll(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? yamlFilesOrAll(p) : [p];
  });
}
