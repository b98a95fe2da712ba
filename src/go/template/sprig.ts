// The Sprig (Masterminds/sprig v3) template functions Promtail registers with sprig.TxtFuncMap(),
// with Sprig's argument order, Go types and results. Functions that need a clock, the network or
// key material (dates, certificates, bcrypt, semver, urlParse) are listed in `unsupportedSprig`:
// a template that uses one fails at config load with a clear message.
// The functions live by family in sprig/, as Sprig's own files are; this assembles the map.

import type { GoFunc } from './exec.js';
import { cryptoFunctions } from './sprig/crypto.js';
import { defaultFunctions } from './sprig/defaults.js';
import { dictFunctions } from './sprig/dict.js';
import { encodingFunctions } from './sprig/encoding.js';
import { listFunctions } from './sprig/list.js';
import { numericFunctions } from './sprig/numeric.js';
import { pathFunctions } from './sprig/paths.js';
import { regexFunctions } from './sprig/regex.js';
import { stringFunctions } from './sprig/strings.js';

export { empty, strval, toFloat64, toInt64 } from './sprig/cast.js';
export { pathClean } from './sprig/paths.js';
export { mustCompile } from './sprig/regex.js';

/** In Sprig's map order (a later family never redefines an earlier one's name). */
const entries: [string, GoFunc][] = [
  ...stringFunctions,
  ...numericFunctions,
  ...defaultFunctions,
  ...pathFunctions,
  ...encodingFunctions,
  ...dictFunctions,
  ...listFunctions(),
  ...cryptoFunctions,
  ...regexFunctions,
];

export const sprigFunctions: ReadonlyMap<string, GoFunc> = new Map(entries);

/** Sprig functions logferry does not implement, with the reason a config error gives. */
export const unsupportedSprig: ReadonlyMap<string, string> = new Map(
  [
    ...[
      'ago',
      'date',
      'date_in_zone',
      'date_modify',
      'dateInZone',
      'dateModify',
      'duration',
      'durationRound',
      'htmlDate',
      'htmlDateInZone',
      'must_date_modify',
      'mustDateModify',
      'mustToDate',
      'now',
      'toDate',
      'unixEpoch',
    ].map((f) => [f, 'date functions']),
    ...[
      'bcrypt',
      'htpasswd',
      'genPrivateKey',
      'derivePassword',
      'buildCustomCert',
      'genCA',
      'genCAWithKey',
      'genSelfSignedCert',
      'genSelfSignedCertWithKey',
      'genSignedCert',
      'genSignedCertWithKey',
      'encryptAES',
      'decryptAES',
    ].map((f) => [f, 'cryptographic key functions']),
    ['semver', 'semantic version functions'],
    ['semverCompare', 'semantic version functions'],
    ['getHostByName', 'network look-ups'],
    ['urlParse', 'URL functions'],
    ['urlJoin', 'URL functions'],
  ].map(([f, what]) => [f!, `function "${f}" (Sprig ${what}) is not supported by logferry`]),
);
