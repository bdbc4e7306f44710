import { GUARD_HEALTH_TEXT } from '../../../api-shapes/audience.ts'
import type { GuardHealth } from '../api/types.ts'

/** The guard's state in words, the same as `canary flags list` prints. */
export const guardText = (status: GuardHealth) => GUARD_HEALTH_TEXT[status] ?? status

export function GuardBadge(props: { status: GuardHealth }) {
  return <span class={`badge guard-${props.status}`}>{guardText(props.status)}</span>
}

export function OnOffBadge(props: { enabled: boolean }) {
  return <span class={`badge ${props.enabled ? 'on' : 'off'}`}>{props.enabled ? 'ON' : 'OFF'}</span>
}
