import type { Snapshot } from '../core/changes.ts'
import { isRecord, parseServerMessage, type ServerMessage } from '../core/protocol.ts'
import { BUCKETING_MODES } from '../core/types.ts'
import {
  affectedFlags,
  applyChange,
  compactRulesetFromSnapshot,
  snapshotOf,
  type CompactRuleset,
} from '../core/ruleset.ts'
import { ARM_COUNTING } from './counters.ts'
import type { Applied, Mode } from './mode.ts'
import type { Logger } from './types.ts'

function isSnapshot(value: unknown): value is Snapshot {
  return (
    isRecord(value) &&
    typeof value.version === 'number' &&
    Array.isArray(value.flags) &&
    Array.isArray(value.segments)
  )
}

/** Keys whose state differs between two rulesets (all of them when any segment changed). */
function differences(before: CompactRuleset | undefined, after: CompactRuleset): string[] {
  if (before === undefined) return []
  const keys = new Set([...before.compiled.keys(), ...after.compiled.keys()])
  const segmentKeys = new Set([...before.segments.keys(), ...after.segments.keys()])
  for (const key of segmentKeys) {
    if (before.segments.get(key)?.version !== after.segments.get(key)?.version) return [...keys]
  }
  return [...keys].filter((key) => before.compiled.get(key)?.version !== after.compiled.get(key)?.version)
}

/**
 * Rules mode (server and admin keys): holds the environment's rules as a `CompactRuleset` (the
 * compiled flags only; a cache entry rebuilds the states from them) and evaluates locally with
 * `sdk/core`, so `isEnabled` never waits on the network. `logger` hears (at debug level) why a
 * flag's state could not be compiled.
 *
 * @example
 * const mode = createRulesMode()
 * mode.apply({ type: 'snapshot', environment: 'production', version: 3, flags, segments })
 * mode.evaluate('checkout-v2', { userId: 'u1' })
 */
export function createRulesMode(logger?: Logger): Mode {
  let ruleset: CompactRuleset | undefined

  const applySnapshot = (snapshot: Snapshot): Applied => {
    const next = compactRulesetFromSnapshot(snapshot)
    const keys = differences(ruleset, next)
    ruleset = next
    return { keys, resync: false }
  }

  return {
    counting: ARM_COUNTING,
    get version() {
      return ruleset?.version
    },
    answerer(flag) {
      const compiled = ruleset?.compiled.get(flag)
      // A state the SDK could not compile answers the default for everyone: say why, once per
      // state (the client asks for a flag's answerer once per change of it).
      if (compiled?.problem !== undefined) logger?.debug?.(`flag ${JSON.stringify(flag)} is malformed: ${compiled.problem}`)
      return compiled
    },
    hello(sdk) {
      // This SDK evaluates every bucketing mode of its core: the server sends every flag as it is.
      const bucketing = [...BUCKETING_MODES]
      return ruleset === undefined
        ? { type: 'hello', sdk, bucketing }
        : { type: 'hello', sdk, version: ruleset.version, bucketing }
    },
    parse: parseServerMessage,
    apply(message: ServerMessage): Applied {
      if (message.type === 'snapshot') return applySnapshot(message)
      if (message.type !== 'changes') return { keys: [], resync: true }
      // Changes only make sense on top of a state; without one, ask for a snapshot.
      if (ruleset === undefined) return { keys: [], resync: true }
      const [only] = message.changes
      if (message.changes.length === 1 && only !== undefined) {
        // The common frame: one change, no set to de-duplicate keys in.
        const outcome = applyChange(ruleset, only)
        return { keys: outcome === 'applied' ? affectedFlags(ruleset, only) : [], resync: outcome === 'gap' }
      }
      const keys = new Set<string>()
      for (const change of message.changes) {
        const outcome = applyChange(ruleset, change)
        // A gap: keep what applied in order, and resync for the rest.
        if (outcome === 'gap') return { keys: [...keys], resync: true }
        if (outcome === 'applied') for (const key of affectedFlags(ruleset, change)) keys.add(key)
      }
      return { keys: [...keys], resync: false }
    },
    keys() {
      return ruleset?.compiled.keys() ?? []
    },
    load(data) {
      const snapshot = isRecord(data) && data.mode === 'rules' ? data.snapshot : data
      if (!isSnapshot(snapshot)) return false
      applySnapshot(snapshot)
      return true
    },
    dump() {
      return ruleset === undefined ? undefined : { mode: 'rules', snapshot: snapshotOf(ruleset) }
    },
  }
}
