import { useRef } from 'hono/jsx/dom'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'

/**
 * An in-page confirmation (not `window.confirm`): readable, keyboard-reachable, focus moves to
 * it when it opens and Escape cancels.
 */
export function Confirm(props: {
  id: string
  message: string
  confirmLabel: string
  danger?: boolean
  onConfirm: () => void
  onCancel: () => void
}) {
  const ref = useRef<HTMLButtonElement>(null)
  useCommitEffect(() => ref.current?.focus(), [])
  return (
    <div
      class="confirm"
      role="alertdialog"
      aria-labelledby={`${props.id}-text`}
      onKeyDown={(e: KeyboardEvent) => e.key === 'Escape' && props.onCancel()}
    >
      <p id={`${props.id}-text`}>{props.message}</p>
      <div class="actions">
        <button
          type="button"
          class={props.danger ? 'danger' : 'primary'}
          ref={ref}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}
