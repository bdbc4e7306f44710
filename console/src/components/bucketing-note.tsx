import { bucketingText } from '../../../api-shapes/bucketing-words.ts'
import type { CohortDraft } from '../lib/cohort-draft.ts'

/**
 * An imported cohort's bucketing (Unleash's or LaunchDarkly's hash, so its users stay where they
 * were): shown read-only, with the one way to leave it, which says that it reshuffles users. The
 * save asks again before sending it (cohorts-editor.tsx). Nothing for a cohort that never had one.
 */
export function BucketingNote(props: { cohort: CohortDraft; onChange: (next: CohortDraft) => void }) {
  const { cohort: c } = props
  const was = c.origin?.bucketing
  if (c.bucketing === undefined && was === undefined) return null
  if (c.bucketing !== undefined)
    return (
      <p class="bucketing-note" data-bucketing={c.bucketing.mode}>
        Bucketing: {bucketingText(c.bucketing)}: users keep the buckets they had there, and widening
        keeps everyone in.{' '}
        <button type="button" class="link" onClick={() => props.onChange({ ...c, bucketing: undefined })}>
          Use this project's bucketing (reshuffles users)
        </button>
      </p>
    )
  return (
    <p class="bucketing-note warning" data-bucketing="own">
      Bucketing: own (was {bucketingText(was)}). Saving reshuffles this cohort's users: at the same
      percentage, different users will be in and out.{' '}
      <button type="button" class="link" onClick={() => props.onChange({ ...c, bucketing: was })}>
        Keep {was!.mode} bucketing
      </button>
    </p>
  )
}
