// Proleptic Gregorian calendar arithmetic on plain numbers, as Go's time package does it:
// day counts relative to 1970-01-01, no JS Date (whose range and rounding we cannot afford).

export const secondsPerDay = 86_400;

export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const daysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/** Days in `month` (1-12) of `year`. */
export function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return daysBeforeMonth[month]! - daysBeforeMonth[month - 1]!;
}

/** Days before the first day of `month` (1-13) in a non-leap year. */
export function daysBefore(month: number): number {
  return daysBeforeMonth[month - 1]!;
}

/** Days from 1970-01-01 to the given date; month and day may overflow as in Go's time.Date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const m0 = month - 1;
  let y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468 + (day - 1);
}

export interface CivilDate {
  year: number;
  month: number;
  day: number;
  /** Day of the year, 1-366. */
  yday: number;
  /** 0 = Sunday. */
  weekday: number;
}

export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yday = daysBefore(month) + day + (month > 2 && isLeap(year) ? 1 : 0);
  const weekday = (((days + 4) % 7) + 7) % 7;
  return { year, month, day, yday, weekday };
}
