import type { Change } from '../../sdk/core/changes.ts'
import { applyChange, rulesetFromSnapshot, type Ruleset } from '../../sdk/core/ruleset.ts'
import type { Store } from '../store/store.ts'
import type { Hub } from './hub.ts'

export type RulesListener = (ruleset: Ruleset, change: Change) => void

/** Keys of the flags client keys may see, from the rules themselves. */
function clientVisibleOf(ruleset: Ruleset): Set<string> {
  const visible = new Set<string>()
  for (const [key, flag] of ruleset.flags) if (flag.clientSide === true) visible.add(key)
  return visible
}

/** Keeps the client-visible index in step with one applied change. */
function trackVisibility(visible: Set<string>, change: Change): void {
  if (change.type === 'flag') {
    if (change.flag.clientSide === true) visible.add(change.flag.key)
    else visible.delete(change.flag.key)
  } else if (change.type === 'flag_deleted') visible.delete(change.key)
}

/**
 * The server's in-memory, compiled view of each environment's rules, kept current from the hub.
 * Stream fan-out and client-key evaluation read it instead of the database. Listeners run after
 * the ruleset has advanced, so they always see the change applied.
 */
export function createEnvRules({ store, hub }: { store: Store; hub: Hub }) {
  const envs = new Map<
    string,
    { ruleset: Ruleset; clientVisible: Set<string>; listeners: Set<RulesListener>; unsubscribe: () => void }
  >()

  function entry(envKey: string) {
    let env = envs.get(envKey)
    if (env) return env
    const ruleset = rulesetFromSnapshot(store.snapshot(envKey))
    const created = {
      ruleset,
      clientVisible: clientVisibleOf(ruleset),
      listeners: new Set<RulesListener>(),
      unsubscribe: () => {},
    }
    created.unsubscribe = hub.subscribe(envKey, (change) => {
      // A gap cannot happen in-process (publish follows commit, in order), but if it ever did,
      // reloading from the database is the safe answer.
      const outcome = applyChange(created.ruleset, change)
      if (outcome === 'gap') {
        created.ruleset = rulesetFromSnapshot(store.snapshot(envKey))
        created.clientVisible = clientVisibleOf(created.ruleset)
      } else if (outcome === 'applied') trackVisibility(created.clientVisible, change)
      for (const listener of created.listeners) listener(created.ruleset, change)
    })
    envs.set(envKey, (env = created))
    return env
  }

  return {
    /** The current ruleset of an environment (loaded on first use). Throws NotFound for unknown envs. */
    get: (envKey: string): Ruleset => entry(envKey).ruleset,
    /**
     * Keys of the environment's client-visible flags, kept as changes arrive, so client-key
     * evaluation costs what the visible flags cost, however many others there are.
     */
    clientVisible: (envKey: string): ReadonlySet<string> => entry(envKey).clientVisible,
    /** Calls `listener` after each change of the environment has been applied. */
    subscribe(envKey: string, listener: RulesListener): () => void {
      const env = entry(envKey)
      env.listeners.add(listener)
      return () => env.listeners.delete(listener)
    },
    close() {
      for (const env of envs.values()) env.unsubscribe()
      envs.clear()
    },
  }
}

export type EnvRules = ReturnType<typeof createEnvRules>
