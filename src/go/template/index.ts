// Go's text/template for logferry: templates are parsed once (at config load, where a bad one is a
// config error) into a tree, then executed per entry over Go-typed values.

import { type ExecContext, execute, type FuncMap } from './exec.js';
import { promtailFunctions } from './functions.js';
import { parseTemplate } from './parse.js';
import { unsupportedSprig } from './sprig.js';
import type { GoValue } from './value.js';

export type { FuncMap, GoFunc, ParamType } from './exec.js';
export { TemplateExecError } from './exec.js';
export { promtailFunctions } from './functions.js';
export { TemplateParseError } from './parse.js';
export type { GoMap, GoValue } from './value.js';

export class GoTemplate {
  private constructor(private readonly ctx: ExecContext) {}

  /**
   * Parses `text` as template `name` (which Go error messages quote), with Promtail's function map
   * unless another is given. Throws TemplateParseError.
   */
  static parse(name: string, text: string, funcs: FuncMap = promtailFunctions): GoTemplate {
    const trees = parseTemplate(name, text, {
      hasFunction: (f) => funcs.has(f),
      unsupported: (f) => unsupportedSprig.get(f),
    });
    return new GoTemplate({ name, text, trees, funcs });
  }

  /** Renders the template over `data` (Go's `.`). Throws TemplateExecError. */
  execute(data: GoValue): string {
    return execute(this.ctx, data);
  }
}
