import type { GuardHealth } from '../api/types.ts'

const GUARD_TEXT: Record<GuardHealth, string> = {
  healthy: 'healthy',
  insufficient_data: 'not enough data',
  trip: 'tripping',
  tripped: 'tripped',
  off: 'guard idle (flag off)',
  no_guard: 'no guard',
}

export const guardText = (status: GuardHealth) => GUARD_TEXT[status] ?? status

export function GuardBadge(props: { status: GuardHealth }) {
  return <span class={`badge guard-${props.status}`}>{guardText(props.status)}</span>
}

export function OnOffBadge(props: { enabled: boolean }) {
  return <span class={`badge ${props.enabled ? 'on' : 'off'}`}>{props.enabled ? 'ON' : 'OFF'}</span>
}
