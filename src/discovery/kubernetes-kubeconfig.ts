// The Kubernetes client configuration of a `kubernetes_sd_configs` entry, as Prometheus builds
// it: a kubeconfig file, an api_server with the HTTP client settings, or the in-cluster config.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { version } from '../version.js';
import type { KubernetesSdConfig } from './kubernetes-config.js';

type K8sModule = typeof K8s;

/**
 * The KubeConfig of a kubernetes_sd_config: its kubeconfig_file; or api_server with the HTTP
 * client config's TLS and credentials; or the in-cluster config (KUBERNETES_SERVICE_HOST/PORT,
 * the service account's token, re-read for every request as client-go does, and CA).
 */
export function buildKubeConfig(
  k8s: K8sModule,
  c: KubernetesSdConfig,
  env: NodeJS.ProcessEnv,
  serviceAccountDir: string,
): K8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (c.kubeconfigFile) {
    try {
      kc.loadFromFile(c.kubeconfigFile);
    } catch (e) {
      throw new Error(`${c.where}: kubeconfig_file ${c.kubeconfigFile}: ${errorText(e)}`);
    }
    if (!kc.getCurrentCluster())
      throw new Error(`${c.where}: kubeconfig_file ${c.kubeconfigFile}: no current context with a cluster`);
    return kc;
  }
  const t = c.http.tls;
  let server: string;
  let caFile = t.caFile;
  let auth: () => string | undefined;
  if (c.apiServer) {
    server = c.apiServer.replace(/\/+$/, '');
    auth = headerFor(c.http);
  } else {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port)
      throw new Error(
        `${c.where}: kubernetes_sd_configs without api_server or kubeconfig_file use the in-cluster config, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: run in a pod, or set api_server or kubeconfig_file`,
      );
    const dir = serviceAccountDir;
    const tokenFile = join(dir, 'token');
    try {
      readFileSync(tokenFile);
    } catch (e) {
      throw new Error(
        `${c.where}: in-cluster config: cannot read the service account token: ${errorText(e)}`,
      );
    }
    caFile = join(dir, 'ca.crt');
    try {
      readFileSync(caFile);
    } catch (e) {
      throw new Error(`${c.where}: in-cluster config: cannot read the cluster CA: ${errorText(e)}`);
    }
    server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    // The token is rotated by the kubelet: read it for every request, as client-go re-reads it.
    auth = headerFor({ bearerTokenFile: tokenFile, tls: t });
  }
  const name = 'logferry-kubernetes-sd';
  const cluster: K8s.Cluster = {
    name,
    server,
    // client-node refuses http:// unless TLS verification is off; there is no TLS to verify then.
    skipTLSVerify: server.startsWith('http:') || t.insecureSkipVerify,
    ...(caFile ? { caFile } : {}),
    ...(t.ca ? { caData: Buffer.from(t.ca).toString('base64') } : {}),
    ...(t.serverName ? { tlsServerName: t.serverName } : {}),
    ...(c.http.proxyUrl ? { proxyUrl: c.http.proxyUrl } : {}),
  };
  const user: K8s.User = {
    name,
    ...(t.certFile ? { certFile: t.certFile } : {}),
    ...(t.cert ? { certData: Buffer.from(t.cert).toString('base64') } : {}),
    ...(t.keyFile ? { keyFile: t.keyFile } : {}),
    ...(t.key ? { keyData: Buffer.from(t.key).toString('base64') } : {}),
  };
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  kc.addAuthenticator({
    isAuthProvider: (u: K8s.User) => u.name === name,
    async applyAuthentication(_u: K8s.User, opts: { headers?: Record<string, unknown> }) {
      opts.headers ??= {};
      opts.headers['User-Agent'] = `logferry/${version}`;
      const value = auth();
      if (value !== undefined) opts.headers.Authorization = value;
    },
  } as Parameters<K8s.KubeConfig['addAuthenticator']>[0]);
  return kc;
}

/** The Authorization header of an HTTP client config; files are read on every request so rotated secrets are picked up. */
function headerFor(http: KubernetesSdConfig['http']): () => string | undefined {
  const read = (file: string) => readFileSync(file, 'utf8').trim();
  if (http.bearerToken !== undefined) {
    const v = `Bearer ${http.bearerToken}`;
    return () => v;
  }
  if (http.bearerTokenFile !== undefined) {
    const f = http.bearerTokenFile;
    return () => `Bearer ${read(f)}`;
  }
  const a = http.authorization;
  if (a) return () => `${a.type} ${a.credentialsFile ? read(a.credentialsFile) : (a.credentials ?? '')}`;
  const b = http.basicAuth;
  if (b) {
    return () => {
      const password = b.passwordFile ? read(b.passwordFile) : (b.password ?? '');
      return `Basic ${Buffer.from(`${b.username}:${password}`).toString('base64')}`;
    };
  }
  return () => undefined;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
