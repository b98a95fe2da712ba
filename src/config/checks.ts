// Checks the config sections share: keys logferry does not support, empty sections, signs.

import type { ConfigNode } from './reader.js';

export function notSupported(node: ConfigNode, key: string, hint: string): never {
  return node.failKey(key, `is not supported by logferry${hint ? `: ${hint}` : ''}`);
}

/** True when a key is absent, null, an empty list or a mapping with only empty values. */
export function isEmpty(node: ConfigNode): boolean {
  if (node.missing) return true;
  if (node.isList()) return node.list().length === 0;
  if (node.isMap()) return node.entries().every(([, v]) => isEmpty(v));
  return node.string() === '' || node.toJS() === false;
}

export function nonNegative(node: ConfigNode, value: number): number {
  if (value < 0) node.fail(`must not be negative, got ${value}`);
  return value;
}

export function positive(node: ConfigNode, value: number): number {
  if (value <= 0) node.fail(`must be greater than 0, got ${value}`);
  return value;
}
