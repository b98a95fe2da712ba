// The `docker` stage: parses Docker's json-file log lines,
// `{"log":"...\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"}`, as Promtail's docker
// stage does (a json stage extracting `output`, `stream`, `timestamp`, then labels, timestamp
// and output stages). The line becomes `log` as Docker wrote it, trailing newline included.

import type { Entry } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { parseRfc3339Nano, StreamLabels } from './util.js';

export const dockerStage: StageDefinition = {
  type: 'docker',
  create(options) {
    options.ignoreUnknownKeys([]);
    return new DockerStage();
  },
};

const noFields: Record<string, unknown> = {};

class DockerStage implements Stage {
  readonly type = 'docker';
  readonly copiesLabels = true;
  private readonly labels = new StreamLabels();

  process(entry: Entry, out: StageOutput): void {
    // Promtail's docker stage is a pipeline of its own, which starts by copying the entry's
    // labels into the extracted values (over values of the same name).
    const labels = entry.labels;
    const extractedIn = entry.extracted;
    for (const name in labels) extractedIn[name] = labels[name];
    let data: unknown;
    try {
      data = JSON.parse(entry.line);
    } catch {
      out.emit(entry);
      return;
    }
    // Go decodes `null` into an empty map, and fails on arrays and scalars.
    if (data === null) data = noFields;
    else if (typeof data !== 'object' || Array.isArray(data)) {
      out.emit(entry);
      return;
    }
    const fields = data as Record<string, unknown>;

    const extracted = entry.extracted;
    const output = extractedValue(fields.log);
    const stream = extractedValue(fields.stream);
    const time = extractedValue(fields.time);
    extracted.output = output;
    extracted.stream = stream;
    extracted.timestamp = time;

    const slot = this.labels.slot(entry.labels, scalarString(stream));
    entry.labels = slot.labels;
    const text = scalarString(time);
    let ts = text === undefined ? undefined : parseRfc3339Nano(text);
    if (ts === undefined && slot.lastTimestamp !== undefined) ts = slot.lastTimestamp + 1n;
    if (ts !== undefined) {
      entry.timestamp = ts;
      slot.lastTimestamp = ts;
    }
    const line = scalarString(output);
    if (line !== undefined) entry.line = line;
    out.emit(entry);
  }
}

/** What Promtail's json stage stores for a field: scalars as they are, objects and arrays as JSON. */
function extractedValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return v;
}

/** Promtail's getString: strings, numbers and booleans convert; anything else does not. */
function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
