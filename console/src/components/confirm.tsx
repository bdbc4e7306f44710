import { useRef, type Child } from 'hono/jsx/dom'
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
  /** More to read before deciding (a list of what will happen), under the message. */
  children?: Child
  /** No confirm button: the dialog only explains (e.g. there is nothing to do). */
  noConfirm?: boolean
  cancelLabel?: string
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
      {props.children}
      <div class="actions">
        {props.noConfirm ? null : (
          <button
            type="button"
            class={props.danger ? 'danger' : 'primary'}
            ref={ref}
            onClick={props.onConfirm}
          >
            {props.confirmLabel}
          </button>
        )}
        <button type="button" ref={props.noConfirm ? ref : undefined} onClick={props.onCancel}>
          {props.cancelLabel ?? 'Cancel'}
        </button>
      </div>
    </div>
  )
}
