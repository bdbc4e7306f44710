/**
 * A strict ISO-8601 / RFC 3339 timestamp parser for the `before` / `after` operators.
 *
 * `Date.parse` is not used because it is lenient in engine-specific ways (V8 turns
 * `2024-02-30` into 1 March and accepts `March 7 2024`) and reads a date-time without an offset
 * in the machine's local time zone, so the server and a browser in another zone would disagree.
 * This grammar is small enough for every SDK to reproduce exactly:
 *
 *   YYYY-MM-DD                              midnight UTC
 *   YYYY-MM-DDTHH:MM[:SS[.fraction]][offset] offset is Z, ±HH:MM or ±HHMM; none means UTC
 *
 * Fractions beyond milliseconds are truncated. Leap seconds (`:60`) and `24:00` are rejected.
 */

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/

const MS_PER_DAY = 86_400_000

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
 * Pure arithmetic, so years below 100 are not remapped to 19xx the way `Date.UTC` does.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

/**
 * Parses a strict ISO-8601 timestamp into epoch milliseconds, or `undefined` if invalid.
 *
 * @example
 * parseIsoDate('2024-03-01') // 1709251200000
 * parseIsoDate('2024-03-01T10:00:00+01:00') // 1709283600000
 * parseIsoDate('2024-02-30') // undefined
 */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = m[4] === undefined ? 0 : Number(m[4])
  const minute = m[5] === undefined ? 0 : Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined

  let offsetMinutes = 0
  const offset = m[8]
  if (offset !== undefined && offset !== 'Z' && offset !== 'z') {
    const oh = Number(offset.slice(1, 3))
    const om = Number(offset.slice(offset.length - 2))
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }

  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis
  )
}
