import type { Cohort } from '../api/types.ts'
import { auditDiff } from '../lib/audit-diff.ts'
import type { CohortInput } from '../lib/cohort-draft.ts'

/** What saving will change, in the same words the audit log will use. */
export function PendingChanges(props: { saved: Cohort[]; next: CohortInput[] }) {
  const readable = props.next.map((c) => ({
    ...c,
    rollout: typeof c.rollout === 'number' ? c.rollout : Number.NaN,
  }))
  const lines = auditDiff({ cohorts: props.saved }, { cohorts: readable })
  if (lines.length === 0) return null
  return (
    <div class="pending" aria-live="polite">
      <h3>Not saved yet</h3>
      <ul>
        {lines.map((l) => (
          <li>
            <span class="diff-field">{l.field}</span>: <del>{l.before}</del> → <ins>{l.after}</ins>
          </li>
        ))}
      </ul>
    </div>
  )
}
