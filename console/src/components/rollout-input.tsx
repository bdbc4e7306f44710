import { parseRollout } from '../lib/cohort-draft.ts'
import { describedBy, FieldError, valueOf } from './field.tsx'

const STEPS = [1, 5, 25, 50, 100]

/**
 * A cohort's percentage: a slider for the rough value, a number field for the exact one (up to
 * three decimals), and the usual canary steps as buttons. All three edit the same text.
 */
export function RolloutInput(props: {
  id: string
  cohortName: string
  text: string
  error: string | undefined
  onChange: (text: string) => void
}) {
  const { id } = props
  const parsed = parseRollout(props.text)
  // The slider can only show 0–100; the chips say a step only when the text is exactly it (150 is not 100).
  const value = typeof parsed === 'number' ? Math.min(100, Math.max(0, parsed)) : 0
  return (
    <div class={`field rollout ${props.error ? 'has-error' : ''}`}>
      <label for={id}>Rollout (%)</label>
      <div class="rollout-controls">
        <label for={`${id}-slider`} class="visually-hidden">
          Rollout of {props.cohortName} (slider)
        </label>
        <input
          type="range"
          id={`${id}-slider`}
          min="0"
          max="100"
          step="1"
          value={String(value)}
          onInput={(e: Event) => props.onChange(valueOf(e))}
        />
        <input
          type="number"
          id={id}
          class="percent"
          inputmode="decimal"
          min="0"
          max="100"
          step="any"
          value={props.text}
          onInput={(e: Event) => props.onChange(valueOf(e))}
          {...describedBy(id, props.error)}
        />
        <span aria-hidden="true">%</span>
      </div>
      <div
        class="quick-steps"
        role="group"
        aria-label={`Set the rollout of ${props.cohortName} to`}
      >
        {STEPS.map((step) => (
          <button
            type="button"
            class="chip"
            aria-pressed={parsed === step ? 'true' : 'false'}
            onClick={() => props.onChange(String(step))}
          >
            {step}%
          </button>
        ))}
      </div>
      <FieldError id={id} message={props.error} />
    </div>
  )
}
