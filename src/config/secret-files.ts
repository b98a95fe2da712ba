// -check-syntax also opens the files a client reads its credentials and certificates from
// (basic_auth password_file, bearer_token_file, authorization credentials_file, tls_config
// ca_file/cert_file/key_file), so a missing or unreadable file is reported with its file, line
// and key before a deployment, not as a start-up failure after it. Only there: a file may
// legitimately appear later (a secret mounted after the config is checked elsewhere).

import { closeSync, constants, openSync, statSync } from 'node:fs';
import type { ConfigNode } from './reader.js';

/** Fails (a ConfigError on the key's line) on the first file a client could not read. */
export function checkClientFiles(root: ConfigNode): void {
  const clients = root.get('clients').list();
  const legacy = root.get('client');
  if (!legacy.missing) clients.push(legacy);
  for (const client of clients) {
    checkReadable(client.get('bearer_token_file'));
    checkReadable(client.get('basic_auth').get('password_file'));
    checkReadable(client.get('authorization').get('credentials_file'));
    const tls = client.get('tls_config');
    for (const key of ['ca_file', 'cert_file', 'key_file']) checkReadable(tls.get(key));
  }
}

function checkReadable(node: ConfigNode): void {
  if (node.missing || !node.isScalar()) return;
  const path = node.string();
  if (path === '') return;
  const why = (err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return 'no such file';
    if (e.code === 'EACCES') return 'permission denied';
    return e.message;
  };
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    node.fail(`cannot read "${path}": ${why(err)}`);
  }
  if (!isFile) node.fail(`cannot read "${path}": not a regular file`);
  try {
    // O_NONBLOCK: a FIFO swapped in after the stat must not hang the check.
    closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch (err) {
    node.fail(`cannot read "${path}": ${why(err)}`);
  }
}
