import { heldText, heldWrite } from '../../api-shapes/change-requests.ts'
import { printJson, type Io } from './io.ts'

/**
 * A write a protected environment held as a change request (`202`): prints what happened and
 * how to follow it, and answers true so the command stops there (exit 0: the request exists,
 * which is what was asked for). With `--json`, the answer as received.
 *
 * @example
 * const data = await api('PATCH', path, { enabled: true })
 * if (reportHeld(io, data, values.json)) return
 */
export function reportHeld(io: Io, data: unknown, json: boolean | undefined): boolean {
  const held = heldWrite.safeParse(data)
  if (!held.success) return false
  if (json) {
    printJson(io, data)
    return true
  }
  const request = held.data.request
  io.out(heldText(request))
  io.out(`${request.environment} is protected: nothing changed yet. Follow it with: canary requests show ${request.id}`)
  return true
}
