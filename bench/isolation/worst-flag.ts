import { LIMITS, cohortsCostProblem, patternSize } from '../../sdk/core/index.ts'
import type { Cohort, FlagState } from '../../sdk/core/types.ts'
import { parse, schemas } from '../../server/validation.ts'

/**
 * The costliest flag the server accepts, as far as evaluation goes: `matches` patterns whose
 * lazy DFA keeps building states (`[ab]*a[ab]{K}[cd]`, the classic exponential one) filling the
 * per-flag pattern budget, each at the per-pattern limit, then a cohort of `contains` needles
 * filling the needle budget. A user matching neither walks every condition.
 */
export function worstAcceptedFlag(): FlagState {
  let k = 1
  while (patternSize(`[ab]*a[ab]{${k + 1}}[cd]`, false)! <= LIMITS.maxPatternSize) k++
  const pattern = `[ab]*a[ab]{${k}}[cd]`
  const count = Math.floor(LIMITS.maxFlagPatternSize / patternSize(pattern, false)!)
  const needles = Array.from({ length: LIMITS.maxFlagStringNeedles }, (_, i) => `needle-${i}-zz`)
  const cohorts: Cohort[] = [
    ...Array.from({ length: count }, (_, i) => ({
      name: `regex-${i}`,
      conditions: [{ attribute: 'name', operator: 'matches' as const, values: [pattern] }],
      rollout: 100,
    })),
    { name: 'needles', conditions: [{ attribute: 'name', operator: 'contains' as const, values: needles }], rollout: 100 },
  ]
  // Through the server's own write-time checks: this flag is accepted as it stands.
  parse(schemas.patchState, { enabled: true, cohorts })
  const problem = cohortsCostProblem(cohorts, new Map(), patternSize)
  if (problem) throw new Error(`the "worst accepted" flag is refused: ${problem}`)
  return { key: 'worst', enabled: true, salt: 'worst', stickiness: 'userId', cohorts, version: 1, clientSide: true }
}

/** A text over the patterns' alphabet that keeps them searching and never matches. */
export function hostileText(length: number, seed: number): string {
  let x = seed >>> 0 || 1
  let text = ''
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    text += (x >>> 16) & 1 ? 'a' : 'b'
  }
  return text
}
