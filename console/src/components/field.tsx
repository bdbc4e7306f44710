import type { Child } from 'hono/jsx/dom'

/** The message under a field, tied to it with `aria-describedby` (`<id>-error`). */
export function FieldError(props: { id: string; message: string | undefined }) {
  if (!props.message) return null
  return (
    <p class="field-error" id={`${props.id}-error`} role="alert">
      {props.message}
    </p>
  )
}

/** `aria-*` attributes of a control that may have an error. */
export const describedBy = (id: string, error: string | undefined, hint?: boolean) => ({
  'aria-invalid': error ? 'true' : undefined,
  'aria-describedby':
    [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined,
})

/**
 * A labelled control with its hint and its API error. `children` is the control; it must carry
 * `id` (and `describedBy(id, error, !!hint)`).
 */
export function Field(props: {
  id: string
  label: string
  hint?: Child
  error?: string | undefined
  class?: string
  children: Child
}) {
  return (
    <div class={`field ${props.class ?? ''} ${props.error ? 'has-error' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FieldError id={props.id} message={props.error} />
    </div>
  )
}

/** Problems that concern no single field, at the top or bottom of a form. */
export function FormError(props: { message: string | undefined }) {
  if (!props.message) return null
  return (
    <p class="form-error" role="alert">
      {props.message}
    </p>
  )
}

/** The text of an input/select/textarea event. */
export const valueOf = (event: Event) => (event.currentTarget as HTMLInputElement).value
export const checkedOf = (event: Event) => (event.currentTarget as HTMLInputElement).checked
