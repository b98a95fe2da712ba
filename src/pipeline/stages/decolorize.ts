// The `decolorize` stage: strips ANSI escape sequences (colours, cursor moves) from the line,
// with the pattern Promtail uses (Loki's decolorizer, from acarl005/stripansi).

import type { StageDefinition } from '../stage.js';

// A fixed pattern, not user input: a native RegExp is safe and fast here. Go's RE2 and JS agree
// on it (leftmost-first alternation, ASCII \d).
const ansi =
  /[\u001B\u009B][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PRZcf-ntqry=><~]))/g;

/** The line without ANSI escape sequences. */
export function decolorize(line: string): string {
  // Most lines have no escape at all: skip the regex then.
  if (line.indexOf('\u001B') < 0 && line.indexOf('\u009B') < 0) return line;
  return line.replace(ansi, '');
}

export const decolorizeStage: StageDefinition = {
  type: 'decolorize',
  create(options) {
    // Promtail ignores whatever is under the key; we take nothing or an empty mapping.
    options.ignoreUnknownKeys([]);
    return {
      type: 'decolorize',
      process(entry, out) {
        entry.line = decolorize(entry.line);
        out.emit(entry);
      },
    };
  },
};
