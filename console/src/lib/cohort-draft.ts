import { bucketingText } from '../../../api-shapes/bucketing-words.ts'
import { OPERATORS, type CohortBucketing, type Operator } from '../../../sdk/core/types.ts'
import type { Cohort, Condition } from '../api/types.ts'

/**
 * Cohorts as a form edits them: text where a person types (values, the percentage) and local
 * ids for list keys. Converted to API cohorts only when saving, so a half-typed `1.` is never
 * rewritten under the cursor.
 */
export type ConditionDraft =
  | {
      id: string
      kind: 'attribute'
      attribute: string
      operator: Operator
      valuesText: string
      negate: boolean
      caseInsensitive: boolean
    }
  | { id: string; kind: 'segment'; segment: string; negate: boolean }

export interface CohortDraft {
  id: string
  name: string
  conditions: ConditionDraft[]
  rolloutText: string
  /** The saved cohort this draft started from (null for a new one): for estimates and diffs. */
  origin: Cohort | null
  /**
   * An imported cohort's bucketing (Unleash, LaunchDarkly), kept as saved; undefined = the
   * project's own. Only the card's explicit "use this project's bucketing" clears it.
   */
  bucketing?: CohortBucketing | undefined
}

/** A cohort as sent: the rollout stays a string when it is not a number, so the API names it. */
export type CohortInput = Omit<Cohort, 'rollout'> & { rollout: number | string }

export { OPERATORS }

const NUMERIC: ReadonlySet<Operator> = new Set(['lt', 'lte', 'gt', 'gte'])

export function createIds(prefix = 'd') {
  let n = 0
  return () => `${prefix}${++n}`
}

/**
 * Values typed or pasted into one box: one per line, and commas, semicolons and tabs separate
 * too (spreadsheets, CSV) — except for `matches`, where a comma can be part of a pattern.
 */
export function splitValues(text: string, operator: Operator): Array<string | number> {
  if (operator === 'exists') return []
  const parts = text.split(operator === 'matches' ? /\r?\n/ : /[\r\n,;\t]+/)
  const values = [...new Set(parts.map((p) => p.trim()).filter(Boolean))]
  return NUMERIC.has(operator)
    ? values.map((v) => (Number.isFinite(Number(v)) ? Number(v) : v))
    : values
}

export const joinValues = (values: Array<string | number>) => values.join('\n')

export function toConditionDraft(condition: Condition, id: string): ConditionDraft {
  if ('segment' in condition)
    return { id, kind: 'segment', segment: condition.segment, negate: !!condition.negate }
  return {
    id,
    kind: 'attribute',
    attribute: condition.attribute,
    operator: condition.operator,
    valuesText: joinValues(condition.values),
    negate: !!condition.negate,
    caseInsensitive: !!condition.caseInsensitive,
  }
}

export function toDraft(cohort: Cohort, nextId: () => string): CohortDraft {
  return {
    id: nextId(),
    name: cohort.name,
    conditions: cohort.conditions.map((c) => toConditionDraft(c, nextId())),
    rolloutText: String(cohort.rollout),
    origin: cohort,
    ...(cohort.bucketing === undefined ? {} : { bucketing: cohort.bucketing }),
  }
}

export function toCondition(draft: ConditionDraft): Condition {
  if (draft.kind === 'segment')
    return { segment: draft.segment, ...(draft.negate ? { negate: true } : {}) }
  return {
    attribute: draft.attribute.trim(),
    operator: draft.operator,
    values: splitValues(draft.valuesText, draft.operator),
    ...(draft.negate ? { negate: true } : {}),
    ...(draft.caseInsensitive ? { caseInsensitive: true } : {}),
  }
}

export function parseRollout(text: string): number | string {
  const n = Number(text.trim())
  return text.trim() !== '' && Number.isFinite(n) ? n : text
}

export function toCohort(draft: CohortDraft): CohortInput {
  return {
    name: draft.name.trim(),
    conditions: draft.conditions.map(toCondition),
    rollout: parseRollout(draft.rolloutText),
    ...(draft.bucketing === undefined ? {} : { bucketing: draft.bucketing }),
  }
}

export type CohortTemplate = 'beta' | 'region' | 'attribute' | 'segment' | 'percentage'

/** A new cohort of a common shape, named so it does not clash with `taken`. */
export function templateDraft(
  template: CohortTemplate,
  taken: readonly string[],
  nextId: () => string,
  firstSegment = '',
): CohortDraft {
  const attribute = (attr: string): ConditionDraft => ({
    id: nextId(),
    kind: 'attribute',
    attribute: attr,
    operator: 'in',
    valuesText: '',
    negate: false,
    caseInsensitive: false,
  })
  const shapes: Record<
    CohortTemplate,
    { name: string; conditions: ConditionDraft[]; rollout: string }
  > = {
    beta: { name: 'beta-users', conditions: [attribute('userId')], rollout: '100' },
    region: { name: 'region', conditions: [attribute('region')], rollout: '1' },
    attribute: { name: 'rule', conditions: [attribute('')], rollout: '100' },
    segment: {
      name: firstSegment || 'segment',
      conditions: [{ id: nextId(), kind: 'segment', segment: firstSegment, negate: false }],
      rollout: '100',
    },
    percentage: { name: 'everyone', conditions: [], rollout: '1' },
  }
  const shape = shapes[template]
  let name = shape.name
  for (let i = 2; taken.includes(name); i++) name = `${shape.name}-${i}`
  return {
    id: nextId(),
    name,
    conditions: shape.conditions,
    rolloutText: shape.rollout,
    origin: null,
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * When `next` differs from `saved` only in one cohort's percentage, that cohort: the console
 * then uses the rollout endpoint (the "widen" action, audited as such) instead of replacing
 * all cohorts.
 */
export function rolloutOnlyChange(
  saved: readonly Cohort[],
  next: readonly CohortInput[],
): { index: number; cohort: string; rollout: number } | undefined {
  if (saved.length !== next.length) return undefined
  const changed: number[] = []
  for (let i = 0; i < saved.length; i++) {
    const a = saved[i]!
    const b = next[i]!
    if (a.name !== b.name || !sameJson(a.conditions, b.conditions) || typeof b.rollout !== 'number')
      return undefined
    // A change of bucketing is not a widening: it goes with the cohorts (and its confirmation).
    if (bucketingText(a.bucketing) !== bucketingText(b.bucketing)) return undefined
    if (a.rollout !== b.rollout) changed.push(i)
  }
  if (changed.length !== 1) return undefined
  const index = changed[0]!
  return { index, cohort: next[index]!.name, rollout: next[index]!.rollout as number }
}

export const cohortsEqual = (saved: readonly Cohort[], next: readonly CohortInput[]) =>
  sameJson(saved, next)
