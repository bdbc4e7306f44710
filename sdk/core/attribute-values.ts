import parseSemver from 'semver/functions/parse.js'
import type SemVer from 'semver/classes/semver.js'
import { parseIsoDate } from './iso-date.ts'
import { LIMITS } from './limits.ts'
import type { User } from './types.ts'

/**
 * Coercions of attribute values (per evaluation) and of condition values (once, at compile
 * time): what counts as missing, as text, as a number, a date or a version. Every operator
 * reads values through these, so they decide what is *incomparable* (see `operators.ts`).
 */

/**
 * Reads an attribute, treating absent, `null`, function-valued and inherited object values as
 * missing. The inherited check matters for names like `constructor` or `__proto__` on a plain
 * object; it is skipped for primitives, which is the hot path.
 */
export function readAttribute(user: User, attribute: string): unknown {
  const value = user[attribute]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object' || typeof value === 'function') {
    if (typeof value === 'function' || !Object.hasOwn(user, attribute)) return undefined
  }
  return value
}

/**
 * The text the string operators and `matches` look at: like `toText`, but a value longer than
 * `LIMITS.maxTextLength` is incomparable (fails closed), so an attacker's 10 KB attribute costs
 * a length check instead of a scan by every pattern.
 */
export function toBoundedText(value: unknown): string | undefined {
  const text = toText(value)
  return text !== undefined && text.length <= LIMITS.maxTextLength ? text : undefined
}

/** Strings as-is; finite numbers and booleans stringified (`42` → `'42'`); else incomparable. */
export function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return undefined
}

/** Plain decimal notation only: no hex, no whitespace, no empty string (`Number('')` is 0). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** Finite numbers, or strings in plain decimal notation; else incomparable. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** Epoch milliseconds (finite number), a strict ISO-8601 string or a valid `Date`. */
export function toEpochMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string') return parseIsoDate(value)
  if (value instanceof Date) {
    const t = value.getTime()
    return Number.isFinite(t) ? t : undefined
  }
  return undefined
}

/**
 * Strict SemVer 2.0.0 through `semver.parse` without `loose`: `MAJOR.MINOR.PATCH` with optional
 * prerelease and build, an optional leading `v` and surrounding whitespace tolerated. `1.2`,
 * `=1.2.3`, `01.2.3` and non-strings are incomparable. Loose mode is not used because what it
 * accepts is a quirk of one library that other SDKs could not reproduce.
 */
export function toSemver(value: unknown): SemVer | undefined {
  return typeof value === 'string' ? (parseSemver(value) ?? undefined) : undefined
}

/** Parses every condition value with `parse`, or reports the first unusable one. */
export function parseAll<T>(
  values: readonly unknown[],
  parse: (value: unknown) => T | undefined,
  kind: string,
): T[] | string {
  if (values.length === 0) return 'needs at least one value'
  const parsed: T[] = []
  for (const value of values) {
    // Condition values are strings or numbers by contract; anything else is malformed input.
    const ok = typeof value === 'string' || typeof value === 'number'
    const p = ok ? parse(value) : undefined
    if (p === undefined) return `value ${JSON.stringify(value) ?? String(value)} is not ${kind}`
    parsed.push(p)
  }
  return parsed
}

/** Condition values for string operators, lowercased once when matching is case-insensitive. */
export function parseTexts(values: readonly unknown[], caseInsensitive: boolean): string[] | string {
  const texts = parseAll(values, toText, 'a string or a finite number')
  if (typeof texts === 'string' || !caseInsensitive) return texts
  return texts.map((t) => t.toLowerCase())
}
