import type { AttributeCondition } from '../../sdk/core/types.ts'
import { ALWAYS, NEVER, either, missing, negated, only, type Alternatives } from './alternatives.ts'
import { ipv4RangePattern } from './ipv4-pattern.ts'

/**
 * One Unleash constraint (`{contextName, operator, values | value, caseInsensitive, inverted}`)
 * as alternatives of this project's conditions, reproducing `unleash-client`'s semantics:
 *
 * - A context field is read from the context, then from `properties`; here both are user
 *   attributes of the same name (`unleashContextToUser`).
 * - Unleash negates a failed comparison, so an `inverted` constraint (and `NOT_IN`) holds when
 *   the field is missing; this project's `negate` does not (it fails closed), so those become
 *   "negated condition OR attribute missing".
 * - `IN`/`NOT_IN`/`STR_*`/`IN_CIDR` values are trimmed and empty ones dropped, as Unleash does.
 * - `DATE_*` compare the context's `currentTime` (the clock when absent) whatever `contextName`
 *   says: here the `currentTime` attribute, which the app (or `canary verify`) must pass.
 */

export interface UnleashConstraint {
  contextName: string
  operator: string
  values: string[]
  value: string | undefined
  caseInsensitive: boolean
  inverted: boolean
}

export interface MappedConstraint {
  alternatives: Alternatives
  /** Where some users may get another answer than Unleash gives them; empty when exact. */
  approximations: string[]
}

/** Context fields an Unleash SDK fills from its own configuration rather than per call. */
const CONFIGURED_FIELDS = new Set(['appName', 'environment'])

const cleanValues = (values: readonly string[]) => values.filter((v) => v !== '').map((v) => v.trim())

/** `positive` (the constraint as written, missing → false) and `inverted` (missing → true). */
function withInversion(c: UnleashConstraint, positive: AttributeCondition[]): Alternatives {
  const usable = positive.every((p) => only(p).length > 0)
  if (!c.inverted) return usable ? [positive] : NEVER
  // Unusable as written: Unleash's comparison fails, so the inverted constraint always holds.
  if (!usable) return ALWAYS
  // NOT (p1 AND p2 …) = (NOT p1) OR (NOT p2) … OR missing
  return either(
    positive.map((p) => [negated(p)]),
    [[missing(c.contextName)]],
  )
}

function membership(c: UnleashConstraint): Alternatives {
  const values = cleanValues(c.values)
  const isIn = c.operator === 'IN' !== c.inverted
  if (values.length === 0) return isIn ? NEVER : ALWAYS
  const condition: AttributeCondition = { attribute: c.contextName, operator: 'in', values }
  // NOT_IN (or inverted IN) holds for a missing field: not in the list.
  return isIn ? only(condition) : either(only({ ...condition, operator: 'not_in' }), [[missing(c.contextName)]])
}

const STRING_OPERATORS = { STR_STARTS_WITH: 'starts_with', STR_ENDS_WITH: 'ends_with', STR_CONTAINS: 'contains' } as const
const NUMBER_OPERATORS = { NUM_GT: 'gt', NUM_GTE: 'gte', NUM_LT: 'lt', NUM_LTE: 'lte' } as const

function strings(c: UnleashConstraint, operator: 'starts_with' | 'ends_with' | 'contains'): Alternatives {
  const values = cleanValues(c.values)
  if (values.length === 0) return c.inverted ? ALWAYS : NEVER
  const condition: AttributeCondition = { attribute: c.contextName, operator, values }
  if (c.caseInsensitive) condition.caseInsensitive = true
  return withInversion(c, [condition])
}

function numbers(c: UnleashConstraint): Alternatives {
  const bound = Number(c.value)
  // Unleash: a value that is not a number never matches (inverted: always does).
  if (c.value === undefined || Number.isNaN(bound)) return c.inverted ? ALWAYS : NEVER
  const attribute = c.contextName
  if (c.operator === 'NUM_EQ') {
    const eq = [
      { attribute, operator: 'gte', values: [bound] },
      { attribute, operator: 'lte', values: [bound] },
    ] satisfies AttributeCondition[]
    if (!c.inverted) return [eq]
    return either(
      only({ attribute, operator: 'lt', values: [bound] }),
      only({ attribute, operator: 'gt', values: [bound] }),
      [[missing(attribute)]],
    )
  }
  const operator = NUMBER_OPERATORS[c.operator as keyof typeof NUMBER_OPERATORS]
  return withInversion(c, [{ attribute, operator, values: [bound] }])
}

const SEMVER_OPERATORS: Record<string, { operator: 'semver_eq' | 'semver_lt' | 'semver_gt'; negate: boolean }> = {
  SEMVER_EQ: { operator: 'semver_eq', negate: false },
  SEMVER_LT: { operator: 'semver_lt', negate: false },
  SEMVER_GT: { operator: 'semver_gt', negate: false },
  // >= is "not <" of a valid version, which is exactly what `negate` means here.
  SEMVER_GTE: { operator: 'semver_lt', negate: true },
  SEMVER_LTE: { operator: 'semver_gt', negate: true },
}

function semver(c: UnleashConstraint): Alternatives {
  const { operator, negate } = SEMVER_OPERATORS[c.operator]!
  const value = c.value ?? ''
  const condition: AttributeCondition = { attribute: c.contextName, operator, values: [value] }
  if (negate) condition.negate = true
  // An invalid version in the constraint throws inside Unleash's comparison: never a match.
  if (only({ ...condition, negate: false }).length === 0) return c.inverted ? ALWAYS : NEVER
  // Unleash refuses context versions with a leading `v`; the core's parser accepts them.
  const noV: AttributeCondition = { attribute: c.contextName, operator: 'starts_with', values: ['v'], negate: true }
  return withInversion(c, [condition, noV])
}

function regex(c: UnleashConstraint): Alternatives {
  const condition: AttributeCondition = { attribute: c.contextName, operator: 'matches', values: [c.value ?? ''] }
  if (c.caseInsensitive) condition.caseInsensitive = true
  if (only(condition).length === 0) return c.inverted ? ALWAYS : NEVER
  return withInversion(c, [condition])
}

function cidr(c: UnleashConstraint, approximations: string[]): Alternatives {
  const patterns: string[] = []
  for (const range of cleanValues(c.values)) {
    const pattern = ipv4RangePattern(range)
    if (pattern !== undefined) patterns.push(pattern)
    else if (range.includes(':')) approximations.push(`IN_CIDR range ${range} (IPv6) is not mapped: such addresses do not match here`)
  }
  if (patterns.length === 0) return c.inverted ? ALWAYS : NEVER
  return withInversion(c, [{ attribute: c.contextName, operator: 'matches', values: patterns }])
}

function date(c: UnleashConstraint, approximations: string[]): Alternatives {
  const at = c.value === undefined ? NaN : Date.parse(c.value)
  approximations.push(
    `${c.operator} compares the clock in Unleash; here the user attribute currentTime, which the app must pass (ISO-8601)`,
  )
  if (Number.isNaN(at)) return c.inverted ? ALWAYS : NEVER
  const operator = c.operator === 'DATE_AFTER' ? 'after' : 'before'
  const condition: AttributeCondition = { attribute: 'currentTime', operator, values: [new Date(at).toISOString()] }
  return c.inverted ? only(negated(condition)) : only(condition)
}

/**
 * Maps one constraint; an operator Unleash does not know makes its strategy never match (the
 * official client does the same), which is exact.
 *
 * @example
 * mapUnleashConstraint({ contextName: 'region', operator: 'IN', values: ['eu'], value: undefined, caseInsensitive: false, inverted: true })
 * // { alternatives: [[{ attribute: 'region', operator: 'not_in', values: ['eu'] }], [{ attribute: 'region', operator: 'exists', values: [], negate: true }]], approximations: [] }
 */
export function mapUnleashConstraint(c: UnleashConstraint): MappedConstraint {
  const approximations: string[] = []
  if (CONFIGURED_FIELDS.has(c.contextName))
    approximations.push(`constraint on ${c.contextName}: Unleash SDKs fill it from their configuration; here the app must pass it as a user attribute`)
  const alternatives = mapOperator(c, approximations)
  return { alternatives, approximations }
}

function mapOperator(c: UnleashConstraint, approximations: string[]): Alternatives {
  const op = c.operator
  if (op === 'IN' || op === 'NOT_IN') return membership(c)
  if (op in STRING_OPERATORS) return strings(c, STRING_OPERATORS[op as keyof typeof STRING_OPERATORS])
  if (op === 'NUM_EQ' || op in NUMBER_OPERATORS) return numbers(c)
  if (op in SEMVER_OPERATORS) return semver(c)
  if (op === 'DATE_AFTER' || op === 'DATE_BEFORE') return date(c, approximations)
  if (op === 'REGEX') return regex(c)
  if (op === 'IN_CIDR') return cidr(c, approximations)
  return NEVER
}
