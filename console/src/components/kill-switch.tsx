import type { FlagChanges } from '../lib/own-changes.ts'
import type { FlagState } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { SwitchButton } from './switch-button.tsx'

/** The flag's on/off state in words, and the one button that flips it. */
export function KillSwitch(props: { state: FlagState; changes: FlagChanges }) {
  const { env, environments } = useApp()
  const { state } = props
  const name = environments.find((e) => e.key === env)?.name ?? env
  return (
    <section
      class={`kill-switch card ${state.enabled ? 'is-on' : 'is-off'}`}
      aria-labelledby="kill-switch-heading"
    >
      <h2 id="kill-switch-heading">Kill switch</h2>
      <p>
        {state.key} is <strong>{state.enabled ? 'ON' : 'OFF'}</strong> in {name}.{' '}
        {state.enabled
          ? 'Turning it off stops it for everyone at once.'
          : 'While off, nobody gets it, whatever the cohorts say.'}
      </p>
      <SwitchButton
        id="kill-switch-button"
        state={state}
        to={!state.enabled}
        danger={state.enabled}
        label={state.enabled ? 'Turn off' : 'Turn on'}
        changes={props.changes}
      />
    </section>
  )
}
