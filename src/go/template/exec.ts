// Executes a parsed Go template over Go values with text/template's semantics: field lookup on
// maps (a missing key is `<no value>`), typed function arguments, pipelines, if/else/with/range
// (with break/continue), variables, define/template/block, and Go's error messages.

import {
  type ListNode,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type TemplateNode,
} from './parse.js';
import { formatV, type GoValue, isGoMap, isTrue, kindOf, mapGet, sortedKeys, typeName } from './value.js';

/**
 * The Go type of a function parameter: string, int, float64, bool, interface{} (`any`),
 * reflect.Value (`value`: receives missing values as they are), []interface{} (`list`),
 * map[string]interface{} (`map`).
 */
export type ParamType = 'string' | 'int' | 'float64' | 'bool' | 'any' | 'value' | 'list' | 'map';

/** A template function, declared with its Go parameter types so arguments are checked as Go does. */
export interface GoFunc {
  params: readonly ParamType[];
  /** Element type of a final variadic parameter (`...interface{}`). */
  variadic?: ParamType;
  /** Throws an Error for Go's error results and panics (reported as `error calling NAME: ...`). */
  call(args: GoValue[]): GoValue;
  /** `and` and `or` evaluate their arguments lazily. */
  shortCircuit?: 'and' | 'or';
}

export type FuncMap = ReadonlyMap<string, GoFunc>;

/** An error while executing a template; the message reads as Go's. */
export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

const MISSING: unique symbol = Symbol('missing');
type Final = GoValue | typeof MISSING;

const BREAK = { loop: 'break' };
const CONTINUE = { loop: 'continue' };

// Go allows 100000 nested {{template}} calls; the JS stack holds far fewer, so stop earlier.
const maxExecDepth = 200;

const paramTypeNames: Record<ParamType, string> = {
  string: 'string',
  int: 'int',
  float64: 'float64',
  bool: 'bool',
  any: 'interface {}',
  value: 'reflect.Value',
  list: '[]interface {}',
  map: 'map[string]interface {}',
};

interface Variable {
  name: string;
  value: GoValue;
}

export interface ExecContext {
  name: string;
  text: string;
  trees: ReadonlyMap<string, ListNode>;
  funcs: FuncMap;
}

/** Runs the tree named `ctx.name` over `data` and returns the output. */
export function execute(ctx: ExecContext, data: GoValue): string {
  const root = ctx.trees.get(ctx.name);
  if (!root)
    throw new TemplateExecError(`template: ${ctx.name}: "${ctx.name}" is an incomplete or empty template`);
  const s = new State(ctx, ctx.name, [{ name: '$', value: data }], 0);
  try {
    s.walk(data, root);
  } catch (e) {
    // Deep recursion that stays under maxExecDepth can still exhaust the JS stack.
    if (e instanceof RangeError) throw new TemplateExecError(`template: ${ctx.name}: ${e.message}`);
    throw e;
  }
  return s.out;
}

class State {
  out = '';
  private node: Node | null = null;

  constructor(
    private readonly ctx: ExecContext,
    private readonly tmplName: string,
    private vars: Variable[],
    private readonly depth: number,
  ) {}

  private errorf(msg: string): never {
    const name = this.tmplName;
    if (!this.node) throw new TemplateExecError(`template: ${name}: ${msg}`);
    const pos = this.node.pos;
    const before = this.ctx.text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? pos : pos - (nl + 1);
    let line = 1;
    for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
    throw new TemplateExecError(
      `template: ${this.ctx.name}:${line}:${col}: executing ${JSON.stringify(name)} at <${nodeString(this.node)}>: ${msg}`,
    );
  }

  // ---- variables

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--)
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.errorf(`undefined variable: ${name}`);
  }

  // ---- walking

  walk(dot: GoValue, node: Node): void {
    this.node = node;
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.node = node;
          this.out += val === undefined ? '<no value>' : typeof val === 'string' ? val : formatV(val);
        }
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const val = this.evalPipeline(dot, node.pipe);
        if (isTrue(val)) this.walk(node.kind === 'with' ? val : dot, node.list);
        else if (node.elseList) this.walk(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node.pipe, node.list, node.elseList);
        return;
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'template':
        this.walkTemplate(dot, node);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkRange(dot: GoValue, pipe: PipeNode, list: ListNode, elseList: ListNode | null): void {
    const mark = this.vars.length;
    const val = this.evalPipeline(dot, pipe);
    const bodyMark = this.vars.length;
    const decl = pipe.decl;
    const one = (index: GoValue, elem: GoValue) => {
      if (decl.length > 0) {
        if (pipe.isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : elem);
        else this.vars[this.vars.length - 1]!.value = elem;
      }
      if (decl.length > 1) {
        if (pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
        else this.vars[this.vars.length - 2]!.value = index;
      }
      try {
        this.walk(elem, list);
      } catch (e) {
        if (e !== CONTINUE) throw e;
      } finally {
        this.vars.length = bodyMark;
      }
    };
    let iterated = false;
    try {
      const k = kindOf(val);
      if (k === 'slice' || k === 'bytes') {
        const arr = val as ArrayLike<GoValue>;
        for (let i = 0; i < arr.length; i++) {
          iterated = true;
          const item = arr[i];
          one(BigInt(i), typeof item === 'number' && k === 'bytes' ? BigInt(item) : item);
        }
      } else if (k === 'map') {
        const m = val as Record<string, GoValue>;
        for (const key of sortedKeys(m)) {
          iterated = true;
          one(key, m[key]);
        }
      } else if (k === 'int') {
        if (decl.length > 1) {
          this.errorf(`can't use ${formatV(val)} to iterate over more than one variable`);
        }
        const n = val as bigint;
        for (let i = 0n; i < n; i++) {
          iterated = true;
          one(i, i);
        }
      } else if (k !== 'invalid' && k !== 'nil') {
        this.errorf(`range can't iterate over ${formatV(val)}`);
      }
    } catch (e) {
      if (e !== BREAK) throw e;
    }
    this.vars.length = mark;
    if (!iterated && elseList) this.walk(dot, elseList);
  }

  private walkTemplate(dot: GoValue, t: TemplateNode): void {
    const tree = this.ctx.trees.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= maxExecDepth) this.errorf(`exceeded maximum template depth (${maxExecDepth})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const s = new State(this.ctx, t.name, [{ name: '$', value: newDot }], this.depth + 1);
    s.walk(newDot, tree);
    this.out += s.out;
  }

  // ---- evaluation

  private evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    this.node = pipe;
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // Go digs into an interface{} result: a nil one becomes the invalid value (`<no value>`).
      if (value === null) value = undefined;
    }
    const v = value === MISSING ? undefined : value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, v);
      else this.vars.push({ name: variable.ident[0]!, value: v });
    }
    return v;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING)
      this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: GoValue, cmd: Node & { kind: 'command' }, final: Final): GoValue {
    const args = cmd.args;
    const first = args[0]!;
    switch (first.kind) {
      case 'field':
        this.node = first;
        return this.evalFieldChain(dot, first, first.ident, args, final);
      case 'chain':
        return this.evalChain(dot, first, args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, args, final);
      case 'pipe':
        this.notAFunction(args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(first, args, final);
    }
    this.node = first;
    this.notAFunction(args, final);
    switch (first.kind) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    return this.errorf(`can't evaluate command ${JSON.stringify(nodeString(first))}`);
  }

  private idealConstant(n: NumberNode): GoValue {
    this.node = n;
    const t = n.text;
    const hexInt = t.length > 2 && t[0] === '0' && (t[1] === 'x' || t[1] === 'X') && !/[pP]/.test(t);
    if (n.isFloat && !hexInt && t[0] !== "'" && /[.eEpP]/.test(t)) return n.float;
    if (n.isInt) return n.int;
    if (n.isUint) this.errorf(`${t} overflows int`);
    return undefined;
  }

  private evalChain(dot: GoValue, chain: Node & { kind: 'chain' }, args: Node[], final: Final): GoValue {
    this.node = chain;
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(pipe, chain, chain.field, args, final);
  }

  private evalVariable(v: Node & { kind: 'variable' }, args: Node[], final: Final): GoValue {
    this.node = v;
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    receiver: GoValue,
    node: Node,
    ident: string[],
    args: Node[],
    final: Final,
  ): GoValue {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(ident[i]!, node, [], MISSING, receiver, i > 0);
    return this.evalField(ident[n - 1]!, node, args, final, receiver, n > 1);
  }

  /** `fromField`: the receiver came out of a map, so Go names its type interface {}. */
  private evalField(
    fieldName: string,
    node: Node,
    args: Node[],
    final: Final,
    receiver: GoValue,
    fromField: boolean,
  ): GoValue {
    if (receiver === undefined) return undefined;
    if (isGoMap(receiver)) {
      if (args.length > 1 || final !== MISSING) {
        this.node = node;
        this.errorf(`${fieldName} is not a method but has arguments`);
      }
      return mapGet(receiver, fieldName);
    }
    this.node = node;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    return this.errorf(
      `can't evaluate field ${fieldName} in type ${fromField ? 'interface {}' : typeName(receiver)}`,
    );
  }

  /** `callNode` is what Go names when the call itself fails (the whole command). */
  private evalFunction(
    dot: GoValue,
    ident: Node & { kind: 'identifier' },
    callNode: Node,
    args: Node[],
    final: Final,
  ): GoValue {
    const name = ident.ident;
    this.node = ident;
    const fn = this.ctx.funcs.get(name);
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, callNode, name, args, final);
  }

  private evalCall(
    dot: GoValue,
    fn: GoFunc,
    node: Node,
    name: string,
    cmdArgs: Node[],
    final: Final,
  ): GoValue {
    const args = cmdArgs.length > 0 ? cmdArgs.slice(1) : cmdArgs;
    const numParams = fn.params.length;
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = numParams;
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${numParams} got ${args.length}`);
    } else if (numIn !== numParams) {
      this.errorf(`wrong number of args for ${name}: want ${numParams} got ${numIn}`);
    }

    if (fn.shortCircuit) {
      const isOr = fn.shortCircuit === 'or';
      let v: GoValue;
      for (const arg of args) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === isOr) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }

    const argv: GoValue[] = new Array(numIn);
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv[i] = this.evalArg(dot, fn.params[i]!, args[i]!);
    if (fn.variadic) for (; i < args.length; i++) argv[i] = this.evalArg(dot, fn.variadic, args[i]!);
    if (final !== MISSING) {
      let t: ParamType;
      if (fn.variadic) t = numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic;
      else t = fn.params[numParams - 1]!;
      argv[i] = this.validateType(final, t);
    }
    try {
      return fn.call(argv);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      this.node = node;
      return this.errorf(`error calling ${name}: ${(e as Error).message ?? String(e)}`);
    }
  }

  private validateType(value: GoValue, typ: ParamType | undefined): GoValue {
    if (typ === undefined || typ === 'value') return value;
    if (value === undefined || value === null) {
      if (typ === 'any' || typ === 'list' || typ === 'map') return null;
      if (value === undefined) return this.errorf(`invalid value; expected ${paramTypeNames[typ]}`);
      return this.errorf(`wrong type for value; expected ${paramTypeNames[typ]}; got interface {}`);
    }
    switch (typ) {
      case 'any':
        return value;
      case 'string':
        if (typeof value === 'string') return value;
        break;
      case 'int':
        if (typeof value === 'bigint') return value;
        break;
      case 'float64':
        if (typeof value === 'number') return value;
        break;
      case 'bool':
        if (typeof value === 'boolean') return value;
        break;
      case 'list':
        if (Array.isArray(value)) return value;
        break;
      case 'map':
        if (isGoMap(value)) return value;
        break;
    }
    return this.errorf(`wrong type for value; expected ${paramTypeNames[typ]}; got ${typeName(value)}`);
  }

  private evalArg(dot: GoValue, typ: ParamType | undefined, n: Node): GoValue {
    this.node = n;
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === undefined || typ === 'value') return undefined;
        if (typ === 'any' || typ === 'list' || typ === 'map') return null;
        return this.errorf(`cannot assign nil to ${paramTypeNames[typ]}`);
      case 'field':
        return this.validateType(this.evalFieldChain(dot, n, n.ident, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariable(n, [], MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, [], MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChain(dot, n, [], MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        return this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float64':
        if (n.kind === 'number' && n.isFloat) return n.float;
        return this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.isInt) return n.int;
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.kind === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'any':
      case 'value':
      case undefined:
        switch (n.kind) {
          case 'bool':
            return n.value;
          case 'number':
            return this.idealConstant(n);
          case 'string':
            return n.text;
        }
        return this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
    }
    return this.errorf(`can't handle ${nodeString(n)} for arg of type ${paramTypeNames[typ]}`);
  }
}
