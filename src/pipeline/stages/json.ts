// The `json` stage: parses the line (or an extracted value) as a JSON object and sets extracted
// values from JMESPath expressions, as Promtail does: strings, numbers and booleans as they are,
// null and missing paths as null, objects and arrays as compact JSON text.

import { compile, type JSONValue, TreeInterpreter, tokenize } from '@jmespath-community/jmespath';
import type { ConfigNode } from '../../config/reader.js';
import { goJsonMarshal } from '../../go/template/json.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

type Ast = ReturnType<typeof compile>;

interface Expression {
  name: string;
  /** A plain field path (`a.b.c`) is read directly, without the interpreter. */
  path: string[] | undefined;
  ast: Ast;
}

/** Syntax of the JMESPath Community spec that go-jmespath (Promtail) rejects at config load. */
const communityOnlyTokens = new Set([
  'Variable',
  'Assign',
  'Root',
  'Question',
  'Plus',
  'Minus',
  'Divide',
  'Modulo',
  'Div',
  'Multiply',
]);

function findCommunityOnly(ast: unknown): string | undefined {
  if (typeof ast !== 'object' || ast === null) return undefined;
  const node = ast as Record<string, unknown>;
  if (node.type === 'Arithmetic' || node.type === 'Unary' || node.type === 'Ternary')
    return String(node.type);
  for (const v of Object.values(node)) {
    const found = Array.isArray(v) ? v.map(findCommunityOnly).find((x) => x) : findCommunityOnly(v);
    if (found) return found;
  }
  return undefined;
}

function fieldPath(ast: Ast): string[] | undefined {
  const node = ast as { type: string; name?: string; left?: Ast; right?: Ast };
  if (node.type === 'Field') return [node.name!];
  if (node.type === 'Subexpression') {
    const left = fieldPath(node.left!);
    const right = fieldPath(node.right!);
    return left && right ? [...left, ...right] : undefined;
  }
  return undefined;
}

function compileExpression(name: string, text: string, node: ConfigNode): Expression {
  let ast: Ast;
  try {
    for (const t of tokenize(text)) {
      if (communityOnlyTokens.has(t.type))
        throw new Error(`"${t.type}" at position ${t.start} is not JMESPath (quote names with "-": "x-y")`);
    }
    ast = compile(text);
    const extra = findCommunityOnly(ast);
    if (extra) throw new Error(`${extra} expressions are not JMESPath`);
  } catch (e) {
    return node.fail(`could not compile JMES expression: ${(e as Error).message}`);
  }
  return { name, path: fieldPath(ast), ast };
}

function readPath(data: unknown, path: string[]): JSONValue {
  let v = data;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) return null;
    v = (v as Record<string, unknown>)[key];
  }
  return v as JSONValue;
}

/** Promtail's getString of a JMESPath result: compact JSON for objects and arrays (json-iterator). */
function toExtracted(r: JSONValue): unknown {
  if (r === null || typeof r !== 'object') return r;
  return goJsonMarshal(r, { escapeHTML: true, sortKeys: false, floats: 'jsoniter' });
}

/** The first character code that is not JSON whitespace (space, tab, LF, CR), or -1. */
function firstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}

class JsonStage implements Stage {
  readonly type = 'json';

  constructor(
    private readonly expressions: Expression[],
    private readonly source: string | undefined,
    private readonly dropMalformed: boolean,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    let input = entry.line;
    if (this.source !== undefined) {
      const extracted = entry.extracted;
      const value = Object.hasOwn(extracted, this.source)
        ? extractedToString(extracted[this.source])
        : undefined;
      if (value === undefined) {
        out.emit(entry);
        return;
      }
      input = value;
    }
    let data: unknown;
    // Only an object or `null` can be valid here (see below): most non-JSON lines are told by
    // their first character, without the exception JSON.parse would throw.
    const first = firstNonSpace(input);
    if (first === 0x7b || first === 0x6e) {
      try {
        data = JSON.parse(input);
      } catch {
        data = undefined;
      }
    }
    // Go unmarshals into map[string]interface{}: only an object (or JSON null) fits.
    if (data === undefined || (data !== null && (typeof data !== 'object' || Array.isArray(data)))) {
      if (this.dropMalformed) out.drop(entry, 'malformed_json');
      else out.emit(entry);
      return;
    }
    const extracted = entry.extracted;
    for (const e of this.expressions) {
      let r: JSONValue;
      if (e.path) r = readPath(data, e.path);
      else {
        try {
          r = TreeInterpreter.search(e.ast, data as JSONValue);
        } catch {
          // Promtail skips an expression whose search fails (a function given a wrong type).
          continue;
        }
      }
      try {
        extracted[e.name] = toExtracted(r === undefined ? null : r);
      } catch {
        // Not representable as JSON (cannot happen for parsed input); Promtail skips it too.
      }
    }
    out.emit(entry);
  }
}

export const jsonStage: StageDefinition = {
  type: 'json',
  create(options) {
    options.ignoreUnknownKeys(['expressions', 'source', 'drop_malformed']);
    const exprNode = options.get('expressions');
    const names = exprNode.keys();
    if (names.length === 0) (options.missing ? options : exprNode).fail('JMES expression is required');
    const expressions = names.map((name) => {
      const node = exprNode.get(name);
      const text = node.missing ? '' : node.string();
      return compileExpression(name, text === '' ? name : text, node);
    });
    const sourceNode = options.get('source');
    const source = sourceNode.optionalString();
    if (source === '') sourceNode.fail('empty source');
    const dropMalformed = options.get('drop_malformed').boolean(false);
    return new JsonStage(expressions, source, dropMalformed);
  },
};
