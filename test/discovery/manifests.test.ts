// The deploy files: k8s/ manifests parse and hang together (the DaemonSet mounts what the
// generated ConfigMap's config reads and writes, probes reach the configured port, RBAC grants
// exactly the resources the discovery code lists and watches, as recorded by the fake API
// server), the default config loads with and without the Loki Secret's variables, the base and
// each component render with `kubectl kustomize` into what an SRE expects, and the Dockerfile
// builds only what exists and runs with production dependencies only.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import picomatch from 'picomatch';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/reader.js';
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
const generator = (kustomization.configMapGenerator as Manifest[])[0]!;
/** The generated ConfigMap as kustomize makes it, but for the hash suffix of its name. */
const generatedConfigMap: Manifest = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: generator.name, namespace: kustomization.namespace },
  data: Object.fromEntries(
    (generator.files as string[]).map((f) => [f, readFileSync(join(k8sDir, f), 'utf8')]),
  ),
};
const objects = [
  ...(kustomization.resources as string[]).flatMap((f) => load(join(k8sDir, f))),
  generatedConfigMap,
];
const byKind = (kind: string, from = objects): Manifest => {
  const found = from.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};
const daemonSet = byKind('DaemonSet');
const configMap = byKind('ConfigMap');
const clusterRole = byKind('ClusterRole');
const binding = byKind('ClusterRoleBinding');
const serviceAccount = byKind('ServiceAccount');
const service = byKind('Service');
const pod = daemonSet.spec.template.spec;
const container = pod.containers[0];

const tmp = tempDir('logferry-manifests-');
after(() => tmp.cleanup());

/**
 * A config as the DaemonSet loads it (-config.expand-env=true), by the real config loader, with
 * `env` as the pod's environment (default: no Secret). Until the journal source lands the
 * loader refuses `journal:`; those jobs are left out then.
 */
function loadK8sConfig(
  text: string,
  env: NodeJS.ProcessEnv = {},
): { config: Config; journalSupported: boolean } {
  try {
    return { config: parseConfig(text, 'config.yaml', { expandEnv: true, env }), journalSupported: true };
  } catch (e) {
    if (!(e instanceof ConfigError && /journal.*not supported yet/.test(e.message))) throw e;
    const raw = parseYaml(text) as Manifest;
    raw.scrape_configs = (raw.scrape_configs as Manifest[]).filter((s) => !s.journal);
    return {
      config: parseConfig(stringify(raw), 'config.yaml', { expandEnv: true, env }),
      journalSupported: false,
    };
  }
}

/** The ConfigMap's config, loaded by the real config loader. */
function defaultConfig(edit?: (raw: Manifest) => void): { config: Config; raw: Manifest; file: string } {
  const text = configMap.data['config.yaml'] as string;
  const raw = parseYaml(text) as Manifest;
  edit?.(raw);
  const file = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, edit ? stringify(raw) : text);
  return { config: loadConfig(file, { expandEnv: true, env: {} }), raw, file };
}

function mountFor(
  path: string,
  c: Manifest = container,
  p: Manifest = pod,
): { mount: Manifest; volume: Manifest } | undefined {
  const mounts = (c.volumeMounts as Manifest[])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = mounts[0];
  if (!mount) return undefined;
  return { mount, volume: (p.volumes as Manifest[]).find((v) => v.name === mount.name)! };
}

describe('k8s manifests', () => {
  it('parse, and the kustomization lists every manifest', () => {
    const files = yamlFiles(k8sDir).map((f) => relative(k8sDir, f));
    const listed = new Set(kustomization.resources as string[]);
    const configs = new Set(['config.yaml', 'components/journal/config.yaml']);
    for (const f of files) {
      if (configs.has(f)) continue;
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
      'Service',
      'ServiceAccount',
    ]);
    const ns = byKind('Namespace').metadata.name;
    assert.equal(kustomization.namespace, ns);
    for (const o of [daemonSet, serviceAccount, service]) assert.equal(o.metadata.namespace, ns);
  });

  it('the namespace admits the pods: Pod Security `privileged`, and says why', () => {
    const ns = byKind('Namespace');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
    const text = readFileSync(join(k8sDir, 'namespace.yaml'), 'utf8');
    assert.match(text, /^# .*hostPath/m, 'the reason is in a comment');
    // The reason holds: the pod has hostPath volumes and runs as uid 0.
    assert.ok((pod.volumes as Manifest[]).some((v) => v.hostPath));
    assert.equal(pod.securityContext.runAsUser, 0);
  });

  it('a headless Service exposes every pod’s metrics port', () => {
    assert.equal(service.spec.clusterIP, 'None');
    for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) {
      assert.equal(daemonSet.spec.template.metadata.labels[k], v, `selects the pods by ${k}`);
    }
    const [port] = service.spec.ports as Manifest[];
    const containerPort = (container.ports as Manifest[]).find(
      (p) => p.name === port!.targetPort || p.containerPort === port!.targetPort,
    );
    assert.ok(containerPort, 'targets the container port');
    assert.equal(containerPort.containerPort, defaultConfig().config.server.httpListenPort);
    assert.equal(port!.name, 'http-metrics');
  });

  it('credentials come from an optional Secret, expanded into a config that has defaults', () => {
    assert.ok((container.args as string[]).includes('-config.expand-env=true'));
    const fromSecret = (container.envFrom as Manifest[]).find((e) => e.secretRef);
    assert.ok(fromSecret, 'envFrom a Secret');
    assert.equal(fromSecret.secretRef.optional, true, 'the pods start without it');
    const text = configMap.data['config.yaml'] as string;
    for (const v of ['LOKI_URL', 'LOKI_USERNAME', 'LOKI_PASSWORD', 'LOKI_BEARER_TOKEN', 'LOKI_TENANT_ID']) {
      assert.match(text, new RegExp(`\\$\\{${v}:-[^}]*\\}`), `${v} with a default`);
    }
    // No Secret: the in-cluster Loki gateway, no credentials.
    const none = loadK8sConfig(text).config.clients[0]!;
    assert.equal(none.url, 'http://loki-gateway.loki.svc.cluster.local/loki/api/v1/push');
    assert.equal(none.basicAuth, undefined);
    assert.equal(none.bearerToken, undefined);
    assert.equal(none.tenantId, undefined);
    // Basic authentication.
    const basic = loadK8sConfig(text, {
      LOKI_URL: 'https://logs.example/loki/api/v1/push',
      LOKI_USERNAME: '123456',
      LOKI_PASSWORD: 'glc_secret',
      LOKI_TENANT_ID: 'team-a',
    }).config.clients[0]!;
    assert.equal(basic.url, 'https://logs.example/loki/api/v1/push');
    assert.deepEqual(basic.basicAuth, { username: '123456', password: 'glc_secret' });
    assert.equal(basic.tenantId, 'team-a');
    // Or a bearer token.
    const bearer = loadK8sConfig(text, { LOKI_BEARER_TOKEN: 'token' }).config.clients[0]!;
    assert.equal(bearer.bearerToken, 'token');
    assert.equal(bearer.basicAuth, undefined);
    // Nothing secret sits in the ConfigMap itself.
    assert.doesNotMatch(text, /password:\s*[^$\s]/);
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

    // Probes at the configured port: readiness is /ready (targets found); liveness is another
    // check, which a node without logs does not fail.
    const port = (container.ports as Manifest[]).find(
      (p) => p.containerPort === config.server.httpListenPort,
    );
    assert.ok(port, `a container port ${config.server.httpListenPort}`);
    assert.equal(container.readinessProbe.httpGet.path, '/ready');
    const liveness = container.livenessProbe;
    assert.ok(liveness.httpGet || liveness.tcpSocket, 'an HTTP or TCP liveness probe');
    if (liveness.httpGet) assert.notEqual(liveness.httpGet.path, '/ready');
    for (const probe of [container.readinessProbe, liveness]) {
      const target = probe.httpGet ?? probe.tcpSocket;
      assert.ok(target.port === port.name || target.port === port.containerPort);
    }

    // The disk buffer is on, on the same writable hostPath as the positions.
    assert.equal(config.wal?.enabled, true, 'the disk buffer');
    const walMount = mountFor(config.wal.dir)!;
    assert.equal(walMount.mount.name, positions.mount.name, 'next to the positions');
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

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

describe('k8s rendered with kubectl kustomize', {
  skip: !hasKubectl && 'kubectl is not installed (it is not in Debian or npm): the rendered checks need it',
}, () => {
  let overlays = 0;
  /** Renders the base with these components (paths under k8s/), and extra overlay fields. */
  function render(
    components: string[],
    extra: Manifest = {},
    files: Record<string, string> = {},
  ): Manifest[] {
    const overlay = join(tmp.dir, `overlay-${overlays++}`);
    mkdirSync(overlay);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(overlay, name), text);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      stringify({
        resources: [relative(overlay, k8sDir)],
        components: components.map((c) => relative(overlay, join(k8sDir, 'components', c))),
        ...extra,
      }),
    );
    // kustomize refuses roots outside the overlay's tree unless told otherwise.
    const out = spawnSync('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', overlay], {
      encoding: 'utf8',
    });
    assert.equal(out.status, 0, out.stderr);
    return parseAllDocuments(out.stdout).map((d) => d.toJS() as Manifest);
  }
  const podOf = (built: Manifest[]) => byKind('DaemonSet', built).spec.template.spec;
  const base = hasKubectl ? render([]) : [];

  it('the base: every object, the ConfigMap named by its content’s hash and mounted by that name', () => {
    assert.deepEqual(base.map((o) => o.kind).sort(), objects.map((o) => o.kind).sort());
    for (const o of base.filter((x) => x.kind !== 'Namespace' && !x.kind.startsWith('Cluster'))) {
      assert.equal(o.metadata.namespace, 'logferry', `${o.kind} in the namespace`);
    }
    const cm = byKind('ConfigMap', base);
    assert.match(cm.metadata.name, /^logferry-[a-z0-9]{10}$/);
    assert.equal(cm.data['config.yaml'], configMap.data['config.yaml']);
    const volume = (podOf(base).volumes as Manifest[]).find((v) => v.configMap)!;
    assert.equal(volume.configMap.name, cm.metadata.name);
    assert.equal(
      byKind('Namespace', base).metadata.labels['pod-security.kubernetes.io/enforce'],
      'privileged',
    );
  });

  it('a config change renames the ConfigMap and so changes the pod template: the pods roll', () => {
    const edited = configMap.data['config.yaml'].replace('log_level: info', 'log_level: debug');
    assert.notEqual(edited, configMap.data['config.yaml']);
    const built = render(
      [],
      { configMapGenerator: [{ name: 'logferry', behavior: 'replace', files: ['config.yaml'] }] },
      { 'config.yaml': edited },
    );
    const before = byKind('ConfigMap', base).metadata.name;
    const after = byKind('ConfigMap', built).metadata.name;
    assert.notEqual(after, before);
    const volume = (podOf(built).volumes as Manifest[]).find((v) => v.configMap)!;
    assert.equal(volume.configMap.name, after);
  });

  it('with attach-metadata, the ClusterRole also lists and watches nodes and namespaces', () => {
    const role = byKind('ClusterRole', render(['attach-metadata']));
    assert.deepEqual(
      role.rules.map((r: Manifest) => r.resources[0]),
      ['pods', 'nodes', 'namespaces'],
    );
  });

  it('with prometheus-operator, a ServiceMonitor on the Service’s port; its podmonitor, a PodMonitor', () => {
    const built = render(['prometheus-operator']);
    const monitor = byKind('ServiceMonitor', built);
    assert.equal(built.filter((o) => o.kind === 'PodMonitor').length, 0, 'not both: each pod once');
    const svc = byKind('Service', built);
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) {
      assert.equal(svc.metadata.labels[k], v, `selects the Service by ${k}`);
    }
    assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [svc.metadata.namespace]);
    assert.equal(monitor.spec.endpoints[0].port, svc.spec.ports[0].name);
    assert.equal(monitor.spec.endpoints[0].path, '/metrics');

    const withPods = render(['prometheus-operator/podmonitor']);
    const podMonitor = byKind('PodMonitor', withPods);
    const ds = byKind('DaemonSet', withPods);
    for (const [k, v] of Object.entries(podMonitor.spec.selector.matchLabels as Record<string, string>)) {
      assert.equal(ds.spec.template.metadata.labels[k], v, `selects the pods by ${k}`);
    }
    const ports = (ds.spec.template.spec.containers[0].ports as Manifest[]).map((p) => p.name);
    assert.ok(ports.includes(podMonitor.spec.podMetricsEndpoints[0].port));
    assert.equal(podMonitor.metadata.namespace, 'logferry');
  });

  it('with docker, /var/lib/docker/containers (where the pod log symlinks point) read-only', () => {
    const p = podOf(render(['docker']));
    const m = mountFor('/var/lib/docker/containers/abc/abc-json.log', p.containers[0], p)!;
    assert.equal(m.mount.mountPath, '/var/lib/docker/containers');
    assert.equal(m.mount.readOnly, true);
    assert.equal(m.volume.hostPath.path, '/var/lib/docker/containers');
    // The base's mounts are all still there.
    assert.equal(p.containers[0].volumeMounts.length, container.volumeMounts.length + 1);
  });

  it('with journal, the journals and machine-id read-only and the journal job added to the config', (t) => {
    const built = render(['journal']);
    const p = podOf(built);
    for (const path of ['/var/log/journal', '/run/log/journal', '/etc/machine-id']) {
      const m = mountFor(path, p.containers[0], p);
      assert.ok(m, `${path} is mounted`);
      assert.equal(m.mount.mountPath, path);
      assert.equal(m.mount.readOnly, true, `${path} read-only`);
      assert.equal(m.volume.hostPath.path, path);
    }
    const cm = byKind('ConfigMap', built);
    assert.notEqual(cm.metadata.name, byKind('ConfigMap', base).metadata.name, 'the pods roll');
    const volume = (p.volumes as Manifest[]).find((v) => v.configMap)!;
    assert.equal(volume.configMap.name, cm.metadata.name);
    // The same config as the base's but for the journal job.
    const withJournal = parseYaml(cm.data['config.yaml']) as Manifest;
    const plain = parseYaml(configMap.data['config.yaml']) as Manifest;
    const journal = (withJournal.scrape_configs as Manifest[]).filter((s) => s.journal);
    assert.equal(journal.length, 1);
    withJournal.scrape_configs = (withJournal.scrape_configs as Manifest[]).filter((s) => !s.journal);
    assert.deepEqual(withJournal, plain);
    assert.equal(journal[0]!.journal.path, '/var/log/journal');
    assert.deepEqual(journal[0]!.journal.labels, { job: 'systemd-journal' });
    assert.ok(
      (journal[0]!.relabel_configs as Manifest[]).some(
        (r) => r.source_labels[0] === '__journal__systemd_unit' && r.target_label === 'unit',
      ),
    );
    const loaded = loadK8sConfig(cm.data['config.yaml']);
    if (!loaded.journalSupported)
      t.diagnostic('the journal job is left out: this logferry cannot read the journal yet');
    assert.equal(loaded.config.scrapeConfigs.length, loaded.journalSupported ? 2 : 1);
  });

  it('with promtail-positions, an init container imports Promtail’s positions once', () => {
    const p = podOf(render(['promtail-positions'], { images: [{ name: 'logferry', newTag: '9.9.9' }] }));
    const [init] = p.initContainers as Manifest[];
    assert.equal(init!.image, p.containers[0].image, 'the agent’s image');
    const from = mountFor('/run/promtail/positions.yaml', init, p)!;
    assert.equal(from.mount.readOnly, true);
    assert.equal(from.volume.hostPath.path, '/run/promtail');
    const to = mountFor(defaultConfig().config.positions.filename, init, p)!;
    assert.equal(
      to.volume.name,
      mountFor('/var/lib/logferry/positions.yaml')!.volume.name,
      'logferry’s positions',
    );
    assert.equal(init!.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(init!.securityContext.capabilities.drop, ['ALL']);

    // Its command, on directories of this machine standing for the two hostPaths.
    const [shell, flag, script] = init!.command as string[];
    const cases: [string, string | undefined, string | undefined, string | undefined][] = [
      // name, Promtail's file, logferry's file before, logferry's file after
      ['imports', 'positions:\n  /var/log/pods/a/b/0.log: "120"\n', undefined, 'same'],
      ['keeps logferry’s own', 'positions: {x: "1"}\n', 'positions: {y: "2"}\n', 'positions: {y: "2"}\n'],
      ['nothing to import', undefined, undefined, undefined],
      ['an empty file', '', undefined, undefined],
    ];
    for (const [name, promtail, before, expected] of cases) {
      const dir = join(tmp.dir, `import-${name.replace(/\W/g, '')}`);
      mkdirSync(join(dir, 'run/promtail'), { recursive: true });
      mkdirSync(join(dir, 'var/lib/logferry'), { recursive: true });
      const src = join(dir, 'run/promtail/positions.yaml');
      const dest = join(dir, 'var/lib/logferry/positions.yaml');
      if (promtail !== undefined) writeFileSync(src, promtail);
      if (before !== undefined) writeFileSync(dest, before);
      const local = script!
        .replaceAll('/run/promtail', join(dir, 'run/promtail'))
        .replaceAll('/var/lib/logferry', join(dir, 'var/lib/logferry'));
      const out = spawnSync(shell!, [flag!, local], { encoding: 'utf8' });
      assert.equal(out.status, 0, `${name}: ${out.stderr}`);
      const after = statSync(dest, { throwIfNoEntry: false }) ? readFileSync(dest, 'utf8') : undefined;
      assert.equal(after, expected === 'same' ? promtail : expected, name);
    }
  });

  it('every component together renders, and every hostPath but the state directory is read-only', () => {
    const built = render([
      'attach-metadata',
      'prometheus-operator',
      'docker',
      'journal',
      'promtail-positions',
    ]);
    const p = podOf(built);
    for (const m of p.containers[0].volumeMounts as Manifest[]) {
      const v = (p.volumes as Manifest[]).find((x) => x.name === m.name)!;
      if (v.hostPath && m.mountPath !== '/var/lib/logferry') assert.equal(m.readOnly, true, m.mountPath);
    }
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

  it('uses a supported Node.js LTS that package.json accepts, in every stage', () => {
    const arg = /^ARG NODE_VERSION=(\d+)(?:\.(\d+))?/m.exec(text)!;
    assert.ok(arg, 'ARG NODE_VERSION');
    const major = Number(arg[1]);
    // Even majors are the LTS lines; 20 reached its end of life on 2026-04-30.
    assert.ok(major >= 22 && major % 2 === 0, `Node ${major} is a supported LTS`);
    const min = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!;
    assert.ok(major > Number(min[1]) || (major === Number(min[1]) && Number(arg[2] ?? 0) >= Number(min[2])));
    for (const s of stages) assert.match(s.lines[0]!, /^FROM node:\$\{NODE_VERSION\}-/, `${s.name} on it`);
  });

  it('has time zones, CA certificates and journalctl in the final image', () => {
    const install = final.lines.find((l) => /apt-get install/.test(l));
    assert.ok(install, 'an apt-get install in the final stage');
    for (const p of ['tzdata', 'ca-certificates', 'systemd']) {
      assert.match(install, new RegExp(`\\s${p}(\\s|$)`), p);
    }
    assert.match(install, /rm -rf \/var\/lib\/apt\/lists/, 'no apt lists left in the image');
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
