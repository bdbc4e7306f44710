import { audienceLines, planStepText } from '../../../api-shapes/audience.ts'
import type { FlagListItem, PlanSummary } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { formatClock } from '../lib/format.ts'
import { GuardBadge, OnOffBadge } from './badges.tsx'

function planText(plan: PlanSummary | null, cohorts: ReadonlyArray<{ name: string; rollout: number }>): string {
  if (!plan) return '—'
  const at = planStepText(plan, cohorts)
  return plan.status === 'active' && plan.nextAt ? `${at}, next at ${formatClock(plan.nextAt)}` : at
}

/**
 * The flags list; on a phone each row reads as a card (see styles). "Who gets it" names every
 * cohort and how much of whom, so a 3-user beta list at 100% never reads as "fully rolled out".
 */
export function FlagsTable(props: { flags: FlagListItem[]; total: number }) {
  const { env, link } = useApp()
  if (props.total === 0)
    return (
      <p class="empty">
        No flags yet: create the first one with <strong>New flag</strong> above (or{' '}
        <code>canary flags create &lt;key&gt;</code>). It starts off, with no cohorts, in every environment.
      </p>
    )
  if (props.flags.length === 0) return <p class="empty">No flags match the search or the filter.</p>
  return (
    <table class="flags">
      <thead>
        <tr>
          <th scope="col">Flag</th>
          <th scope="col">State</th>
          <th scope="col">Who gets it</th>
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
                {flag.clientSide ? (
                  <span class="badge client-side" title="Client (browser) keys can see this flag">
                    browsers
                  </span>
                ) : null}
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
              <td data-label="Who gets it" class="audience">
                {state ? (
                  state.audience.length === 0 ? (
                    <span class="muted">nobody (no cohorts)</span>
                  ) : (
                    <ul class="audience-list">
                      {audienceLines(state.audience).map((line) => (
                        <li>{line}</li>
                      ))}
                    </ul>
                  )
                ) : (
                  '—'
                )}
              </td>
              <td data-label="Guard">{state ? <GuardBadge status={state.guard} /> : '—'}</td>
              <td data-label="Rollout plan">{planText(state?.plan ?? null, state?.audience ?? [])}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
