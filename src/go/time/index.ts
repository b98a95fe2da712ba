// Go's time layouts for logferry: parse and format exactly as Promtail's Go code does
// (time.Parse, time.ParseInLocation, Time.Format, time.LoadLocation), in nanoseconds.

export { formatTime } from './format.js';
export { type CompiledLayout, compileLayout, layoutHasYear, namedLayouts } from './layout.js';
export {
  addDate,
  type ParsedTime,
  type ParseOptions,
  parseTime,
  TimeParseError,
  type WallClock,
  wallClock,
  wallToUnix,
} from './parse.js';
export { FixedZone, loadLocation, localZone, UTC, type Zone } from './zone.js';
