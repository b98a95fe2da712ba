// Time zones as Go's *time.Location behaves for parsing and formatting: fixed offsets, UTC and
// IANA zones. IANA offsets (DST included) come from Intl, which ships its own tz database, so
// they work in images without /usr/share/zoneinfo; zone abbreviations ("EST", "CEST") come from
// the system's TZif files when present, as Go reads them, and from Intl otherwise.

import { readFileSync } from 'node:fs';

export interface Zone {
  /** "UTC", an IANA name, "Local", or the name of a fixed zone (may be empty). */
  readonly name: string;
  /** Seconds east of UTC in effect at the instant. */
  offsetAt(unixSec: number): number;
  /** The abbreviation in effect at the instant ("EST", "CEST", "+03"); empty when unknown. */
  abbreviationAt(unixSec: number): string;
  /**
   * The offset of the zone abbreviation `abbr` near the instant, as Go's Location.lookupName:
   * first an abbreviation in effect at that time, then any use of it; undefined when unknown.
   */
  lookupName(abbr: string, unixSec: number): number | undefined;
}

/** A zone with one offset for all time (Go's time.FixedZone). */
export class FixedZone implements Zone {
  constructor(
    readonly name: string,
    readonly offset: number,
  ) {}
  offsetAt(): number {
    return this.offset;
  }
  abbreviationAt(): string {
    return this.name;
  }
  lookupName(abbr: string): number | undefined {
    return abbr === this.name ? this.offset : undefined;
  }
}

export const UTC: Zone = new FixedZone('UTC', 0);

interface NamedOffset {
  name: string;
  offset: number;
}

// Offsets are constant over months; one cache entry covers a quarter of an hour, which no two
// transitions ever share.
const bucketSeconds = 900;
const maxCacheEntries = 8192;
const maxDateMs = 8.64e15;

class IanaZone implements Zone {
  private readonly offsetFormat: Intl.DateTimeFormat;
  private readonly nameFormats: Intl.DateTimeFormat[];
  private readonly offsets = new Map<number, number>();
  private tzif: NamedOffset[] | null | undefined;
  private sampled = new Map<number, NamedOffset[]>();

  constructor(
    readonly name: string,
    private readonly ianaName: string,
  ) {
    this.offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: ianaName, timeZoneName: 'longOffset' });
    // en-US knows the North American abbreviations, en-GB the European ones.
    this.nameFormats = ['en-US', 'en-GB'].map(
      (locale) => new Intl.DateTimeFormat(locale, { timeZone: ianaName, timeZoneName: 'short' }),
    );
  }

  offsetAt(unixSec: number): number {
    const bucket = Math.floor(unixSec / bucketSeconds);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const start = this.computeOffset(bucket * bucketSeconds);
    const end = this.computeOffset(bucket * bucketSeconds + bucketSeconds - 1);
    if (start !== end) return this.computeOffset(unixSec);
    if (this.offsets.size >= maxCacheEntries) this.offsets.clear();
    this.offsets.set(bucket, start);
    return start;
  }

  abbreviationAt(unixSec: number): string {
    const offset = this.offsetAt(unixSec);
    const known = this.tzifZones();
    for (const format of this.nameFormats) {
      const name = partOf(format, unixSec, 'timeZoneName');
      if (!/^[A-Z][A-Za-z]{1,5}$/.test(name) || (name.startsWith('GMT') && offset !== 0)) continue;
      if (!known || known.some((z) => z.name === name && z.offset === offset)) return name;
    }
    if (known) {
      for (let i = known.length - 1; i >= 0; i--) if (known[i]!.offset === offset) return known[i]!.name;
    }
    return numericAbbreviation(offset);
  }

  lookupName(abbr: string, unixSec: number): number | undefined {
    const zones = this.tzifZones() ?? this.sampledZones(unixSec);
    for (const z of zones) {
      if (z.name === abbr && this.offsetAt(unixSec - z.offset) === z.offset) return z.offset;
    }
    for (const z of zones) if (z.name === abbr) return z.offset;
    return undefined;
  }

  private computeOffset(unixSec: number): number {
    const ms = Math.max(-maxDateMs, Math.min(maxDateMs, unixSec * 1000));
    const text = partOf(this.offsetFormat, ms / 1000, 'timeZoneName');
    const m = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(text);
    if (!m) throw new Error(`unexpected offset "${text}" from Intl for time zone ${this.ianaName}`);
    if (!m[1]) return 0;
    const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -seconds : seconds;
  }

  /** The (abbreviation, offset) pairs of the zone's TZif file, as Go loads them; null when absent. */
  private tzifZones(): NamedOffset[] | null {
    if (this.tzif === undefined) this.tzif = readTzifZones(this.ianaName);
    return this.tzif;
  }

  /** Without TZif files: the abbreviations Intl shows around the instant (a year's worth). */
  private sampledZones(unixSec: number): NamedOffset[] {
    const year = Math.floor(unixSec / (365 * 86_400));
    let zones = this.sampled.get(year);
    if (zones) return zones;
    zones = [];
    for (const t of [unixSec, unixSec - 182 * 86_400, unixSec + 182 * 86_400]) {
      const name = this.abbreviationAt(t);
      const offset = this.offsetAt(t);
      if (!zones.some((z) => z.name === name && z.offset === offset)) zones.push({ name, offset });
    }
    if (this.sampled.size > 64) this.sampled.clear();
    this.sampled.set(year, zones);
    return zones;
  }
}

function partOf(format: Intl.DateTimeFormat, unixSec: number, type: string): string {
  const ms = Math.max(-maxDateMs, Math.min(maxDateMs, unixSec * 1000));
  for (const part of format.formatToParts(ms)) if (part.type === type) return part.value;
  return '';
}

/** Go's tzdata names zones without letters by their offset: "+03", "-0330". */
function numericAbbreviation(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = String(Math.floor(abs / 3600)).padStart(2, '0');
  const m = Math.floor((abs % 3600) / 60);
  return `${sign}${h}${m ? String(m).padStart(2, '0') : ''}`;
}

const zoneinfoDirs = [
  process.env.ZONEINFO,
  '/usr/share/zoneinfo',
  '/usr/share/lib/zoneinfo',
  '/etc/zoneinfo',
];

function readTzifZones(ianaName: string): NamedOffset[] | null {
  for (const dir of zoneinfoDirs) {
    if (!dir) continue;
    let data: Buffer;
    try {
      data = readFileSync(`${dir}/${ianaName}`);
    } catch {
      continue;
    }
    const zones = parseTzif(data);
    if (zones) return zones;
  }
  return null;
}

/** The local time types of a TZif file (RFC 8536), from its 64-bit block when it has one. */
export function parseTzif(data: Buffer): NamedOffset[] | null {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') return null;
  const counts = (at: number) => ({
    isut: data.readUInt32BE(at + 20),
    isstd: data.readUInt32BE(at + 24),
    leap: data.readUInt32BE(at + 28),
    time: data.readUInt32BE(at + 32),
    type: data.readUInt32BE(at + 36),
    char: data.readUInt32BE(at + 40),
  });
  let header = 0;
  let c = counts(0);
  let timeSize = 4;
  if (data[4]! >= 0x32) {
    const v1Length = c.time * 4 + c.time + c.type * 6 + c.char + c.leap * 8 + c.isstd + c.isut;
    header = 44 + v1Length;
    if (data.length < header + 44) return null;
    c = counts(header);
    timeSize = 8;
  }
  const types = header + 44 + c.time * timeSize + c.time;
  const chars = types + c.type * 6;
  if (data.length < chars + c.char) return null;
  const zones: NamedOffset[] = [];
  for (let i = 0; i < c.type; i++) {
    const at = types + i * 6;
    const offset = data.readInt32BE(at);
    const start = chars + data[at + 5]!;
    let end = start;
    while (end < chars + c.char && data[end] !== 0) end++;
    zones.push({ name: data.toString('latin1', start, end), offset });
  }
  return zones;
}

const zones = new Map<string, Zone>();

/** The zone of this process (the TZ variable, else the system's), as Go's time.Local. */
export function localZone(): Zone {
  return loadLocation('Local');
}

/**
 * A zone by name, as Go's time.LoadLocation: "" and "UTC" are UTC, "Local" is the process's
 * zone, anything else an IANA name ("Europe/Berlin"). Throws on an unknown name.
 */
export function loadLocation(name: string): Zone {
  const known = zones.get(name);
  if (known) return known;
  let zone: Zone;
  if (name === '' || name === 'UTC') {
    zone = UTC;
  } else if (name === 'Local') {
    const local = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    zone = local === 'UTC' || local === 'Etc/UTC' ? UTC : new IanaZone('Local', local);
  } else {
    // Intl also takes "+05:00", which is no zone name to Go.
    if (!/^[A-Za-z]/.test(name)) throw new Error(`unknown time zone ${name}`);
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
    } catch {
      throw new Error(`unknown time zone ${name}`);
    }
    zone = new IanaZone(name, name);
  }
  zones.set(name, zone);
  return zone;
}
