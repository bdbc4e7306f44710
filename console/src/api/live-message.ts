import { guardView } from '../../../api-shapes/index.ts'
import type { Change, GuardView } from './types.ts'

/** What the console hears on its admin-key socket (see `sdk/core/protocol.ts`). */
export type LiveMessage =
  | { type: 'console_change'; environment: string; change: Change }
  | { type: 'guard_update'; environment: string; flag: string; at: number; guard: GuardView }
  /** Not from the server: the socket (re)opened, so anything may have been missed meanwhile. */
  | { type: 'resync' }

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses one frame; undefined for anything the console does not use (pong, unknown types). */
export function parseLiveMessage(text: string): LiveMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isRecord(value) || typeof value.environment !== 'string') return undefined
  if (
    value.type === 'console_change' &&
    isRecord(value.change) &&
    typeof value.change.type === 'string'
  )
    return value as LiveMessage
  if (value.type === 'guard_update' && typeof value.flag === 'string' && typeof value.at === 'number') {
    // The same shape as the guard report's: parsed, not cast, like every API answer.
    const guard = guardView.safeParse(value.guard)
    if (!guard.success) {
      console.error(`console: a guard update of ${value.flag} did not fit its shape`, guard.error.issues[0])
      return undefined
    }
    return { type: 'guard_update', environment: value.environment, flag: value.flag, at: value.at, guard: guard.data }
  }
  return undefined
}
