// Limits on what a YAML config may make the loader do, so that any config, however hostile, is
// accepted or refused at once: aliases may not expand into more than `maxAliasNodes` extra
// nodes (a "billion laughs" bomb: ten aliases of ten aliases of ...), nesting may not exceed
// `maxDepth`, and duplicate keys are found with one Set per mapping (the yaml package's own
// check compares every key with every other: 40,000 labels took a minute).
//
// One pass over the parsed document. It also resolves every alias to its anchor's node, which
// the reader then looks up instead of calling Alias.resolve(), a walk of the whole document.

import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/** Nodes that aliases may add to the document, beyond its own. */
export const maxAliasNodes = 100_000;
/** Deepest nesting of mappings and lists. */
export const maxDepth = 500;

/** A problem at a text offset; the reader turns it into a ConfigError with the line. */
export interface YamlProblem {
  offset: number;
  reason: string;
}

/** Each alias node mapped to the node of its anchor. */
export type AliasTargets = Map<Node, Node>;

/** Checks the document; returns the alias targets, or the first problem found. */
export function checkYamlLimits(doc: Document): AliasTargets | YamlProblem {
  const anchors = new Map<string, Node>();
  const targets: AliasTargets = new Map();
  const sizes = new Map<Node, number>();
  const inProgress = new Set<Node>();
  let problem: YamlProblem | undefined;
  let added = 0;
  let biggest: { node: Node; size: number } | undefined;

  const fail = (node: Node | null | undefined, reason: string): number => {
    problem ??= { offset: node?.range?.[0] ?? 0, reason };
    return 0;
  };

  // Expanded size of a node: aliases count their anchor's expanded size. Memoized, so linear.
  const size = (node: Node | null | undefined, depth: number): number => {
    if (problem || node === null || node === undefined) return 0;
    if (depth > maxDepth) return fail(node, `nested more than ${maxDepth} levels deep`);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return fail(node, `alias *${node.source} has no anchor before it`);
      targets.set(node, target);
      if (inProgress.has(target)) return fail(node, `alias *${node.source} refers to the node it is in`);
      const n = sizes.get(target) ?? 0;
      added += n;
      if (biggest === undefined || n > biggest.size) biggest = { node, size: n };
      return n;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      sizes.set(node, 1);
      return 1;
    }
    inProgress.add(node);
    let n = 1;
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          if (seen.has(key.value)) return fail(key, 'Map keys must be unique');
          seen.add(key.value);
        }
        n += size(key, depth + 1) + size(pair.value as Node | null, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) n += size(item as Node | null, depth + 1);
    }
    inProgress.delete(node);
    sizes.set(node, n);
    return n;
  };

  size(doc.contents as Node | null, 0);
  if (problem) return problem;
  if (added > maxAliasNodes && biggest) {
    return {
      offset: biggest.node.range?.[0] ?? 0,
      reason: `aliases expand to ${added} more nodes, over the limit of ${maxAliasNodes} (an alias bomb?); refused (the largest, *${(biggest.node as { source?: string }).source}, expands to ${biggest.size})`,
    };
  }
  return targets;
}
