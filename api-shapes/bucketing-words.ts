import type { CohortBucketingShape } from './rules.ts'

/**
 * A cohort's bucketing in words, the one wording of the console, the CLI and the API's refusals:
 * `own` (the flag's salt and stickiness), `unleash (groupId g, stickiness userId)`,
 * `launchdarkly (flag k, salt s, by userId, offset 0)`. Equal words mean the same hash, whatever
 * the order of the stored JSON's keys (PostgreSQL's jsonb reorders them).
 *
 * @example
 * bucketingText(undefined) // 'own'
 * bucketingText({ mode: 'unleash', groupId: 'Feature.A', stickiness: 'default' }) // 'unleash (groupId Feature.A, stickiness default)'
 */
export function bucketingText(bucketing: CohortBucketingShape | undefined): string {
  if (bucketing === undefined) return 'own'
  if (bucketing.mode === 'unleash') return `unleash (groupId ${bucketing.groupId}, stickiness ${bucketing.stickiness})`
  const seed = bucketing.seed === undefined ? '' : `, seed ${bucketing.seed}`
  return `launchdarkly (flag ${bucketing.flagKey}, salt ${bucketing.salt}${seed}, by ${bucketing.attribute}, offset ${bucketing.offset})`
}

/** A cohort whose bucketing an update changes, and what it changes from and to (in words). */
export interface Reshuffle {
  cohort: string
  from: string
  to: string
}

/**
 * Changing how a cohort buckets (the project's own hash, Unleash's, LaunchDarkly's, or the same
 * mode with other parameters) moves users in and out of it even at the same percentage: every
 * user gets a new, unrelated bucket. So it is an explicit change: the admin API refuses it (409)
 * unless the request says `reshuffle: true`, and the console and the CLI say so and ask first.
 *
 * The cohorts (matched by name) that keep existing with some users in them but change their
 * bucketing. A cohort at 0% before has nobody to reshuffle; a new or removed cohort is not a
 * reshuffle either.
 *
 * @example
 * reshuffles([{ name: 'c', rollout: 10, bucketing }], [{ name: 'c', rollout: 10 }])
 * // [{ cohort: 'c', from: 'unleash (groupId g, stickiness userId)', to: 'own' }]
 */
export function reshuffles(
  before: ReadonlyArray<{ name: string; rollout: number; bucketing?: CohortBucketingShape | undefined }>,
  after: ReadonlyArray<{ name: string; bucketing?: CohortBucketingShape | undefined }>,
): Reshuffle[] {
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
 * What such a change does, in words (the console's and the CLI's confirmation, the API's refusal).
 *
 * @example
 * reshuffleWarning([{ cohort: 'c', from: 'unleash (groupId g, stickiness userId)', to: 'own' }])
 * // 'changing the bucketing of cohort c from unleash (groupId g, stickiness userId) to own reshuffles its users: …'
 */
export function reshuffleWarning(found: readonly Reshuffle[]): string {
  const each = found.map((r) => `cohort ${r.cohort} from ${r.from} to ${r.to}`).join('; ')
  const its = found.length === 1 ? 'its' : 'their'
  return `changing the bucketing of ${each} reshuffles ${its} users: at the same percentage, different users will be in and out`
}
