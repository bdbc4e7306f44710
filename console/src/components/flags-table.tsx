import type { FlagListItem, PlanSummary } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { formatClock, formatPercent } from '../lib/format.ts'
import { GuardBadge, OnOffBadge } from './badges.tsx'

function planText(plan: PlanSummary | null): string {
  if (!plan) return '—'
  const at = `step ${plan.step + 1}/${plan.steps.length} (${formatPercent(plan.steps[plan.step] ?? 0)})`
  if (plan.status === 'active' && plan.nextAt) return `${at}, next ${formatClock(plan.nextAt)}`
  return `${at}, ${plan.status}`
}

/** The flags list; on a phone each row reads as a card (see styles). */
export function FlagsTable(props: { flags: FlagListItem[] }) {
  const { env, link } = useApp()
  if (props.flags.length === 0) return <p class="empty">No flags match.</p>
  return (
    <table class="flags">
      <thead>
        <tr>
          <th scope="col">Flag</th>
          <th scope="col">State</th>
          <th scope="col">Widest rollout</th>
          <th scope="col">Guard</th>
          <th scope="col">Rollout plan</th>
        </tr>
      </thead>
      <tbody>
        {props.flags.map((flag) => {
          const state = flag.environments[env]
          return (
            <tr key={flag.key} data-flag={flag.key}>
              <td data-label="Flag">
                <a href={link({ page: 'flag', key: flag.key })}>{flag.key}</a>
                {flag.description ? <div class="muted">{flag.description}</div> : null}
                {flag.tags.length ? (
                  <div class="tags">
                    {flag.tags.map((t) => (
                      <span class="tag">{t}</span>
                    ))}
                  </div>
                ) : null}
              </td>
              <td data-label="State">{state ? <OnOffBadge enabled={state.enabled} /> : '—'}</td>
              <td data-label="Widest rollout">
                {state
                  ? `${formatPercent(state.widestRollout)} (${state.cohorts} ${state.cohorts === 1 ? 'cohort' : 'cohorts'})`
                  : '—'}
              </td>
              <td data-label="Guard">{state ? <GuardBadge status={state.guard} /> : '—'}</td>
              <td data-label="Rollout plan">{planText(state?.plan ?? null)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
