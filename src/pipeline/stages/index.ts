// Every pipeline stage, by its YAML key.

import type { StageDefinition } from '../stage.js';
import { criStage } from './cri.js';
import { decolorizeStage } from './decolorize.js';
import { dockerStage } from './docker.js';
import { dropStage } from './drop.js';
import { jsonStage } from './json.js';
import { labelallowStage } from './labelallow.js';
import { labeldropStage } from './labeldrop.js';
import { labelsStage } from './labels.js';
import { limitStage } from './limit.js';
import { logfmtStage } from './logfmt.js';
import { matchStage } from './match.js';
import { metricsStage } from './metrics.js';
import { multilineStage } from './multiline.js';
import { outputStage } from './output.js';
import { packStage } from './pack.js';
import { regexStage } from './regex.js';
import { replaceStage } from './replace.js';
import { samplingStage } from './sampling.js';
import { staticLabelsStage } from './static_labels.js';
import { structuredMetadataStage } from './structured_metadata.js';
import { templateStage } from './template.js';
import { tenantStage } from './tenant.js';
import { timestampStage } from './timestamp.js';

const definitions: StageDefinition[] = [
  criStage,
  dockerStage,
  jsonStage,
  logfmtStage,
  regexStage,
  replaceStage,
  templateStage,
  timestampStage,
  outputStage,
  labelsStage,
  labeldropStage,
  labelallowStage,
  staticLabelsStage,
  structuredMetadataStage,
  tenantStage,
  packStage,
  decolorizeStage,
  matchStage,
  dropStage,
  multilineStage,
  limitStage,
  samplingStage,
  metricsStage,
];

/** Stage definitions by YAML key, aliases included. */
export const stageDefinitions: ReadonlyMap<string, StageDefinition> = new Map(
  definitions.flatMap((d) => [d.type, ...(d.aliases ?? [])].map((key) => [key, d] as const)),
);
