import { buildAttributeCondition, type CompiledCondition } from './compiled-conditions.ts'
import { WeakTable } from './intern.ts'
import { murmur3Signed } from './murmur3.ts'
import type { AttributeCondition } from './types.ts'

/** Shared attribute conditions, keyed by a hash of their content. */
const SHARED_CONDITIONS = new WeakTable<number, CompiledCondition>()
let nextConditionId = 1

/** Number of distinct attribute conditions held for sharing (tests). */
export const sharedConditionCount = (): number => SHARED_CONDITIONS.size

const isPlainValue = (v: unknown): v is string | number =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))

/**
 * A hash of a well-formed condition's content, or undefined when it is not plain data (then it
 * is compiled on its own, never shared). Only strings and finite numbers count as values, so
 * conditions with equal hashes and equal fields (`sameCondition`) compile to the same thing.
 */
function conditionHash(condition: AttributeCondition): number | undefined {
  if (condition === null || typeof condition !== 'object') return undefined
  const { attribute, operator, values, negate, caseInsensitive } = condition
  if (typeof attribute !== 'string' || typeof operator !== 'string' || !Array.isArray(values)) return undefined
  if (negate !== undefined && typeof negate !== 'boolean') return undefined
  if (caseInsensitive !== undefined && typeof caseInsensitive !== 'boolean') return undefined
  let h = murmur3Signed(attribute) ^ Math.imul(murmur3Signed(operator), 31)
  h = Math.imul(h ^ ((negate === true ? 1 : 0) | (caseInsensitive === true ? 2 : 0)), 0x01000193)
  // Index loops here and below: compiling 10,000 flags runs them for every value of every
  // condition, often before V8 optimises them, when `for…of` allocates an iterator result per step.
  for (let i = 0; i < values.length; i++) {
    const value: unknown = values[i]
    if (!isPlainValue(value)) return undefined
    const part = typeof value === 'string' ? murmur3Signed(value) : murmur3Signed(String(value)) ^ 0x5bd1e995
    h = Math.imul(h ^ part, 0x01000193)
  }
  return h
}

function sameCondition(a: AttributeCondition, b: AttributeCondition): boolean {
  if (a.attribute !== b.attribute || a.operator !== b.operator) return false
  if ((a.negate === true) !== (b.negate === true)) return false
  if ((a.caseInsensitive === true) !== (b.caseInsensitive === true)) return false
  if (a.values.length !== b.values.length) return false
  for (let i = 0; i < a.values.length; i++) if (a.values[i] !== b.values[i]) return false
  return true
}

/**
 * An attribute condition, compiled once for every flag (and segment) that holds an identical
 * one. Compiled parts are immutable, so sharing them changes no answer.
 */
export function attributeCondition(condition: AttributeCondition): CompiledCondition {
  const hash = conditionHash(condition)
  if (hash === undefined) return buildAttributeCondition(condition, undefined)
  return SHARED_CONDITIONS.lookup(hash, sharedAs, condition) ?? SHARED_CONDITIONS.add(hash, sharedCondition(condition))
}

/** Whether a shared condition was compiled from one equal to `condition`. */
const sharedAs = (candidate: CompiledCondition, condition: AttributeCondition) => sameCondition(candidate.source as AttributeCondition, condition)

/** A condition compiled for sharing, from a frozen copy of its source (the caller's may change). */
function sharedCondition(condition: AttributeCondition): CompiledCondition {
  const source: AttributeCondition = {
    attribute: condition.attribute,
    operator: condition.operator,
    values: Object.freeze([...condition.values]) as Array<string | number>,
    ...(condition.negate === true ? { negate: true } : {}),
    ...(condition.caseInsensitive === true ? { caseInsensitive: true } : {}),
  }
  return buildAttributeCondition(Object.freeze(source), nextConditionId++)
}
