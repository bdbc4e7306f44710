import type { Cohort, CohortBucketing } from '../../sdk/core/types.ts'

/**
 * Changing how a cohort buckets (the project's own hash, Unleash's, LaunchDarkly's, or the same
 * mode with other parameters) moves users in and out of it even at the same percentage: every
 * user gets a new, unrelated bucket. So it is an explicit change: the admin API refuses it
 * unless the request says `reshuffle: true`, and the CLI and console say so before sending it.
 */

/** A cohort whose bucketing an update changes, and what it changes from and to. */
export interface Reshuffle {
  cohort: string
  from: string
  to: string
}

/**
 * The bucketing in words: `own` (the flag's salt and stickiness), `unleash (groupId g,
 * stickiness userId)`, `launchdarkly (flag k, salt s, by userId)`.
 *
 * @example
 * bucketingText(undefined) // 'own'
 */
export function bucketingText(bucketing: CohortBucketing | undefined): string {
  if (bucketing === undefined) return 'own'
  if (bucketing.mode === 'unleash') return `unleash (groupId ${bucketing.groupId}, stickiness ${bucketing.stickiness})`
  const seed = bucketing.seed === undefined ? '' : `, seed ${bucketing.seed}`
  return `launchdarkly (flag ${bucketing.flagKey}, salt ${bucketing.salt}${seed}, by ${bucketing.attribute}, offset ${bucketing.offset})`
}

/**
 * The cohorts (matched by name) that keep existing with some users in them but change their
 * bucketing. A cohort at 0% before has nobody to reshuffle; a new or removed cohort is not a
 * reshuffle either.
 *
 * @example
 * reshuffles([{ name: 'c', conditions: [], rollout: 10, bucketing }], [{ name: 'c', conditions: [], rollout: 10 }])
 * // [{ cohort: 'c', from: 'unleash (groupId g, stickiness userId)', to: 'own' }]
 */
export function reshuffles(before: readonly Cohort[], after: readonly Cohort[]): Reshuffle[] {
  const previous = new Map(before.map((c) => [c.name, c]))
  const found: Reshuffle[] = []
  for (const cohort of after) {
    const old = previous.get(cohort.name)
    if (old === undefined || old.rollout === 0) continue
    const from = bucketingText(old.bucketing)
    const to = bucketingText(cohort.bucketing)
    if (from !== to) found.push({ cohort: cohort.name, from, to })
  }
  return found
}

/**
 * The refusal (and the CLI's confirmation) in words.
 *
 * @example
 * reshuffleMessage([{ cohort: 'c', from: 'unleash (…)', to: 'own' }])
 */
export function reshuffleMessage(found: readonly Reshuffle[]): string {
  const each = found.map((r) => `cohort ${r.cohort} from ${r.from} to ${r.to}`).join('; ')
  return `changing the bucketing of ${each} reshuffles its users: at the same percentage, different users will be in and out. Send reshuffle: true to confirm`
}
