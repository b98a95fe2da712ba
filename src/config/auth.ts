// A client's credentials: `basic_auth`, `bearer_token(_file)` and `authorization`, with
// Promtail's rule that only one of them is given.

import { isEmpty, notSupported } from './checks.js';
import type { ConfigNode } from './reader.js';
import type { BasicAuth, ClientConfig } from './types.js';

export function parseAuth(node: ConfigNode, client: ClientConfig): void {
  const basicNode = node.get('basic_auth');
  if (!basicNode.get('username_file').missing) notSupported(basicNode, 'username_file', 'use username');
  basicNode.expectKeys(
    ['username', 'password', 'password_file', 'username_file'],
    ['username', 'password', 'password_file'],
  );
  const authNode = node.get('authorization').expectKeys(['type', 'credentials', 'credentials_file']);
  const bearer = node.get('bearer_token').optionalString() || undefined;
  const bearerFile = node.get('bearer_token_file').optionalString() || undefined;
  if (bearer && bearerFile)
    node.failKey('bearer_token_file', 'give only one of bearer_token and bearer_token_file');
  if (bearer) client.bearerToken = bearer;
  if (bearerFile) client.bearerTokenFile = bearerFile;

  if (!isEmpty(authNode)) {
    const type = authNode.get('type').string('Bearer');
    if (type.toLowerCase() !== 'bearer') {
      notSupported(
        authNode,
        'type',
        `only the Bearer authorization type is (got "${type}"); use basic_auth for Basic`,
      );
    }
    if (bearer || bearerFile)
      node.failKey('authorization', 'give only one of authorization and bearer_token(_file)');
    const credentials = authNode.get('credentials').optionalString() || undefined;
    const credentialsFile = authNode.get('credentials_file').optionalString() || undefined;
    if (credentials && credentialsFile) {
      authNode.failKey('credentials_file', 'give only one of credentials and credentials_file');
    }
    if (credentials) client.bearerToken = credentials;
    if (credentialsFile) client.bearerTokenFile = credentialsFile;
  }

  if (!isEmpty(basicNode)) {
    if (client.bearerToken || client.bearerTokenFile) {
      node.failKey('basic_auth', 'give only one of basic_auth, authorization and bearer_token(_file)');
    }
    const basic: BasicAuth = { username: basicNode.get('username').string('') };
    const password = basicNode.get('password').optionalString() || undefined;
    const passwordFile = basicNode.get('password_file').optionalString() || undefined;
    if (password && passwordFile)
      basicNode.failKey('password_file', 'give only one of password and password_file');
    if (password) basic.password = password;
    if (passwordFile) basic.passwordFile = passwordFile;
    client.basicAuth = basic;
  }
}
