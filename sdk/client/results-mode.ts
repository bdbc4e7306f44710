import { isRecord, parseResultsMessage, type ServerMessage } from '../core/protocol.ts'
import type { EvalResult, Reason, User } from '../core/types.ts'
import { ANSWER_COUNTING } from './counters.ts'
import type { Applied, Mode } from './mode.ts'

/** Not imported from `sdk/core/evaluate.ts`: the browser build must not pull the rules engine in. */

function isResult(value: unknown): value is EvalResult {
  return isRecord(value) && typeof value.enabled === 'boolean' && typeof value.reason === 'string'
}

/** Valid results of a message or cache entry, frozen; malformed entries are left out. */
function readResults(value: unknown): Map<string, Readonly<EvalResult>> {
  const results = new Map<string, Readonly<EvalResult>>()
  if (!isRecord(value)) return results
  for (const key in value) {
    const result = value[key]
    if (isResult(result)) {
      results.set(key, Object.freeze({ enabled: result.enabled, reason: result.reason as Reason }))
    }
  }
  return results
}

const same = (a: EvalResult | undefined, b: EvalResult | undefined) =>
  a?.enabled === b?.enabled && a?.reason === b?.reason

/**
 * Results mode (client keys, browsers): the server evaluates every flag for the identified user
 * and pushes the answers, then only the differences. No rules, segments or other users' ids ever
 * reach this side, so the user argument of `evaluate` is ignored: answers are for the identified
 * user.
 *
 * @example
 * const mode = createResultsMode({ userId: 'u1' })
 * mode.apply({ type: 'results', version: 4, full: true, results: { 'checkout-v2': { enabled: true, reason: 'cohort:beta' } } })
 * mode.evaluate('checkout-v2', undefined) // { enabled: true, reason: 'cohort:beta' }
 */
export function createResultsMode(initialUser: User): Mode {
  let user = initialUser
  let version: number | undefined
  let results: Map<string, Readonly<EvalResult>> | undefined

  const replace = (next: Map<string, Readonly<EvalResult>>): string[] => {
    const before = results
    results = next
    if (before === undefined) return []
    const keys = new Set([...before.keys(), ...next.keys()])
    return [...keys].filter((key) => !same(before.get(key), next.get(key)))
  }

  return {
    counting: ANSWER_COUNTING,
    get version() {
      return version
    },
    answerer(flag) {
      const result = results?.get(flag)
      return result === undefined ? undefined : { evaluate: () => result }
    },
    hello(sdk) {
      return { type: 'hello', sdk, user }
    },
    parse: parseResultsMessage,
    apply(message: ServerMessage): Applied {
      if (message.type !== 'results') return { keys: [], resync: true }
      const incoming = message.results
      if (message.full) {
        version = message.version
        return { keys: replace(readResults(incoming)), resync: false }
      }
      // A difference only makes sense on top of a full set for this user.
      if (results === undefined) return { keys: [], resync: true }
      version = Math.max(version ?? 0, message.version)
      const next = new Map(results)
      for (const key in incoming) {
        const result = incoming[key]
        if (result === null) next.delete(key)
        else if (isResult(result)) next.set(key, Object.freeze({ ...result }))
      }
      return { keys: replace(next), resync: false }
    },
    keys() {
      return results?.keys() ?? []
    },
    load(data) {
      if (!isRecord(data) || !isRecord(data.results)) return false
      // A cache entry holds answers for one user; they are no use for another.
      if (data.mode === 'results' && JSON.stringify(data.user) !== JSON.stringify(user)) return false
      if (typeof data.version === 'number') version = data.version
      replace(readResults(data.results))
      return true
    },
    dump() {
      if (results === undefined) return undefined
      return { mode: 'results', user, version, results: Object.fromEntries(results) }
    },
    identify(next) {
      user = next
      return { type: 'identify', user: next }
    },
  }
}
