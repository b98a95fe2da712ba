// Parses and validates one `kubernetes_sd_configs` entry: Prometheus's keys, defaults and rules
// (roles, mutually exclusive connection settings, selectors per role), with errors naming the
// file, line and key.

import type { ConfigNode } from '../config/reader.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './kubernetes-selectors.js';

export interface KubernetesSelector {
  label?: string;
  field?: string;
}

export interface KubernetesHttpConfig {
  bearerToken?: string;
  bearerTokenFile?: string;
  /** `authorization`: a credential sent as `<type> <credentials>` (type defaults to Bearer). */
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  tls: {
    caFile?: string;
    ca?: string;
    certFile?: string;
    cert?: string;
    keyFile?: string;
    key?: string;
    serverName?: string;
    insecureSkipVerify: boolean;
  };
  proxyUrl?: string;
}

export interface KubernetesSdConfig {
  role: 'pod';
  apiServer?: string;
  kubeconfigFile?: string;
  namespaces: { names: string[]; ownNamespace: boolean };
  /** By role of the watched object: `pod` selects pods, `node` the nodes watched for `attach_metadata.node`. */
  selectors: { pod: KubernetesSelector; node: KubernetesSelector };
  attachMetadata: { node: boolean; namespace: boolean };
  http: KubernetesHttpConfig;
  /** `file:line` of this entry, for logs. */
  where: string;
}

const roles = ['pod', 'service', 'endpoints', 'endpointslice', 'node', 'ingress'] as const;

const httpKeys = [
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'proxy_url',
  'follow_redirects',
  'enable_http2',
];

const keys = [
  'role',
  'api_server',
  'kubeconfig_file',
  'namespaces',
  'selectors',
  'attach_metadata',
  ...httpKeys,
];

/** Parses one entry of `kubernetes_sd_configs`; relative file paths are taken from the config file's directory. */
export function parseKubernetesSdConfig(
  node: ConfigNode,
  resolvePath: (p: string) => string,
): KubernetesSdConfig {
  if (!node.isMap()) node.fail('expected a mapping with role, api_server, namespaces, ...');
  node.expectKeys(keys);
  const roleNode = node.get('role');
  if (roleNode.missing) roleNode.fail(`role missing (one of: ${roles.join(', ')})`);
  const role = roleNode.string();
  if (!(roles as readonly string[]).includes(role)) roleNode.fail(`unknown Kubernetes SD role "${role}"`);
  if (role !== 'pod')
    roleNode.fail(
      `role "${role}" is not supported: logferry reads log files, and those come from pods; use role: pod`,
    );

  const apiServerNode = node.get('api_server');
  const apiServer = apiServerNode.optionalString() || undefined;
  if (apiServer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(apiServer);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      apiServerNode.fail(`"${apiServer}" is not an http:// or https:// URL`);
  }
  const kubeconfigNode = node.get('kubeconfig_file');
  const kubeconfigRaw = kubeconfigNode.optionalString() || undefined;
  const kubeconfigFile = kubeconfigRaw === undefined ? undefined : resolvePath(kubeconfigRaw);
  if (apiServer !== undefined && kubeconfigFile !== undefined)
    node.failKey('kubeconfig_file', "cannot use 'kubeconfig_file' and 'api_server' simultaneously");

  const http = parseHttpConfig(node, resolvePath);
  const customHttp = httpKeys.some(
    (k) => !node.get(k).missing && k !== 'follow_redirects' && k !== 'enable_http2',
  );
  const firstHttpKey = httpKeys.find(
    (k) => !node.get(k).missing && k !== 'follow_redirects' && k !== 'enable_http2',
  );
  if (customHttp && kubeconfigFile !== undefined)
    node.failKey(
      firstHttpKey!,
      "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
    );
  if (customHttp && apiServer === undefined)
    node.failKey(
      firstHttpKey!,
      "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
    );

  const nsNode = node.get('namespaces').expectKeys(['names', 'own_namespace']);
  const namespaces = {
    names: nsNode.get('names').stringList([]),
    ownNamespace: nsNode.get('own_namespace').boolean(false),
  };
  for (const [i, n] of nsNode.get('names').list().entries()) {
    if (n.string() === '') nsNode.get('names').list()[i]!.fail('a namespace name is empty');
  }
  if (namespaces.ownNamespace && apiServer !== undefined)
    nsNode.failKey('own_namespace', "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously");
  if (namespaces.ownNamespace && kubeconfigFile !== undefined)
    nsNode.failKey(
      'own_namespace',
      "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
    );

  const selectors: KubernetesSdConfig['selectors'] = { pod: {}, node: {} };
  const seen = new Set<string>();
  for (const s of node.get('selectors').list()) {
    s.expectKeys(['role', 'label', 'field']);
    const sRoleNode = s.get('role');
    const sRole = sRoleNode.string('');
    if (!(roles as readonly string[]).includes(sRole))
      sRoleNode.fail(`unknown Kubernetes SD role "${sRole}"`);
    if (seen.has(sRole)) sRoleNode.fail(`duplicated selector role: ${sRole}`);
    seen.add(sRole);
    if (sRole !== 'pod' && sRole !== 'node') sRoleNode.fail('pod role supports only pod, node selectors');
    const label = s.get('label').optionalString() || undefined;
    const field = s.get('field').optionalString() || undefined;
    try {
      if (label !== undefined) parseLabelSelector(label);
    } catch (e) {
      if (e instanceof SelectorError) s.get('label').fail(e.message);
      throw e;
    }
    try {
      if (field !== undefined) parseFieldSelector(field);
    } catch (e) {
      if (e instanceof SelectorError) s.get('field').fail(e.message);
      throw e;
    }
    const sel: KubernetesSelector = {};
    if (label !== undefined) sel.label = label;
    if (field !== undefined) sel.field = field;
    selectors[sRole as 'pod' | 'node'] = sel;
  }

  const amNode = node.get('attach_metadata').expectKeys(['node', 'namespace']);
  const attachMetadata = {
    node: amNode.get('node').boolean(false),
    namespace: amNode.get('namespace').boolean(false),
  };

  const config: KubernetesSdConfig = {
    role: 'pod',
    namespaces,
    selectors,
    attachMetadata,
    http,
    where: `${node.file}:${node.line}`,
  };
  if (apiServer !== undefined) config.apiServer = apiServer;
  if (kubeconfigFile !== undefined) config.kubeconfigFile = kubeconfigFile;
  return config;
}

function parseHttpConfig(node: ConfigNode, resolvePath: (p: string) => string): KubernetesHttpConfig {
  const oauth2 = node.get('oauth2');
  if (!oauth2.missing)
    node.failKey(
      'oauth2',
      'oauth2 is not supported for the Kubernetes API; use bearer_token_file or authorization',
    );
  node.get('follow_redirects').boolean(true);
  node.get('enable_http2').boolean(true);
  const file = (n: ConfigNode): string | undefined => {
    const v = n.optionalString();
    return v ? resolvePath(v) : undefined;
  };
  const http: KubernetesHttpConfig = { tls: { insecureSkipVerify: false } };

  const bearerToken = node.get('bearer_token').optionalString() || undefined;
  const bearerTokenFile = file(node.get('bearer_token_file'));
  if (bearerToken !== undefined && bearerTokenFile !== undefined)
    node.failKey('bearer_token_file', 'at most one of bearer_token & bearer_token_file must be configured');
  if (bearerToken !== undefined) http.bearerToken = bearerToken;
  if (bearerTokenFile !== undefined) http.bearerTokenFile = bearerTokenFile;

  const basic = node.get('basic_auth').expectKeys(['username', 'password', 'password_file']);
  if (!basic.missing) {
    const password = basic.get('password').optionalString() || undefined;
    const passwordFile = file(basic.get('password_file'));
    if (password !== undefined && passwordFile !== undefined)
      basic.failKey('password_file', 'at most one of basic_auth password & password_file must be configured');
    http.basicAuth = { username: basic.get('username').string('') };
    if (password !== undefined) http.basicAuth.password = password;
    if (passwordFile !== undefined) http.basicAuth.passwordFile = passwordFile;
  }

  const authz = node.get('authorization').expectKeys(['type', 'credentials', 'credentials_file']);
  if (!authz.missing) {
    const type = authz.get('type').string('Bearer') || 'Bearer';
    if (type.toLowerCase() === 'basic')
      authz.failKey('type', 'authorization type cannot be set to "basic", use "basic_auth" instead');
    const credentials = authz.get('credentials').optionalString() || undefined;
    const credentialsFile = file(authz.get('credentials_file'));
    if (credentials !== undefined && credentialsFile !== undefined)
      authz.failKey(
        'credentials_file',
        'at most one of authorization credentials & credentials_file must be configured',
      );
    http.authorization = { type };
    if (credentials !== undefined) http.authorization.credentials = credentials;
    if (credentialsFile !== undefined) http.authorization.credentialsFile = credentialsFile;
  }

  const schemes = [
    ['basic_auth', http.basicAuth],
    ['authorization', http.authorization],
    ['bearer_token', http.bearerToken ?? http.bearerTokenFile],
  ].filter(([, v]) => v !== undefined);
  if (schemes.length > 1)
    node.failKey(
      String(schemes[1]![0]),
      `at most one of basic_auth, authorization, bearer_token & bearer_token_file must be configured (found ${schemes.map(([k]) => k).join(' and ')})`,
    );

  const tls = node
    .get('tls_config')
    .expectKeys([
      'ca_file',
      'ca',
      'cert_file',
      'cert',
      'key_file',
      'key',
      'server_name',
      'insecure_skip_verify',
    ]);
  const pairs: [string, string][] = [
    ['ca', 'ca_file'],
    ['cert', 'cert_file'],
    ['key', 'key_file'],
  ];
  for (const [inline, path] of pairs) {
    if (!tls.get(inline).missing && !tls.get(path).missing)
      tls.failKey(path, `at most one of ${inline} and ${path} must be configured`);
  }
  const t = http.tls;
  const caFile = file(tls.get('ca_file'));
  if (caFile) t.caFile = caFile;
  const ca = tls.get('ca').optionalString();
  if (ca) t.ca = ca;
  const certFile = file(tls.get('cert_file'));
  if (certFile) t.certFile = certFile;
  const cert = tls.get('cert').optionalString();
  if (cert) t.cert = cert;
  const keyFile = file(tls.get('key_file'));
  if (keyFile) t.keyFile = keyFile;
  const key = tls.get('key').optionalString();
  if (key) t.key = key;
  if ((t.cert || t.certFile) && !(t.key || t.keyFile))
    tls.fail('a client certificate needs a key (key or key_file)');
  if ((t.key || t.keyFile) && !(t.cert || t.certFile))
    tls.fail('a client key needs a certificate (cert or cert_file)');
  const serverName = tls.get('server_name').optionalString();
  if (serverName) t.serverName = serverName;
  t.insecureSkipVerify = tls.get('insecure_skip_verify').boolean(false);

  const proxyNode = node.get('proxy_url');
  const proxyUrl = proxyNode.optionalString() || undefined;
  if (proxyUrl !== undefined) {
    if (!/^(https?|socks5?h?):\/\//.test(proxyUrl))
      proxyNode.fail(`"${proxyUrl}" is not a proxy URL (http://, https:// or socks5://)`);
    http.proxyUrl = proxyUrl;
  }
  return http;
}
