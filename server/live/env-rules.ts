import type { Change } from '../../sdk/core/changes.ts'
import { applyChange, rulesetFromSnapshot, type Ruleset } from '../../sdk/core/ruleset.ts'
import type { Store } from '../store/contract.ts'
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

interface EnvEntry {
  ruleset: Ruleset
  clientVisible: Set<string>
  listeners: Set<RulesListener>
  /** Hear that the ruleset was replaced by a snapshot (after a resync): start again from it. */
  resetListeners: Set<(ruleset: Ruleset) => void>
  /** While a snapshot is read after a resync: changes heard meanwhile, applied after it. */
  held?: Change[] | undefined
  unsubscribe: () => void
}

/**
 * The server's in-memory, compiled view of each environment's rules, kept current from the hub.
 * Stream fan-out and client-key evaluation read it instead of the database. Listeners run after
 * the ruleset has advanced, so they always see the change applied.
 *
 * An environment is loaded once (`load`, async: one snapshot read) and read synchronously after
 * that (`get`). While the snapshot is read, changes heard from the hub are held and applied
 * after it in order, so no change between the read and the subscription is lost.
 */
export function createEnvRules({ store, hub, log }: { store: Store; hub: Hub; log?: (m: string, e?: unknown) => void }) {
  const envs = new Map<string, EnvEntry>()
  const loading = new Map<string, Promise<EnvEntry>>()

  function loaded(envKey: string): EnvEntry {
    const env = envs.get(envKey)
    if (!env) throw new Error(`rules of environment ${envKey} read before load()`)
    return env
  }

  async function read(envKey: string): Promise<EnvEntry> {
    let held: Change[] | undefined = []
    let entry: EnvEntry | undefined
    const unsubscribe = hub.subscribe(envKey, (change) => {
      if (held) return void held.push(change)
      if (entry!.held) return void entry!.held.push(change)
      apply(entry!, envKey, change)
    })
    try {
      const ruleset = rulesetFromSnapshot(await store.snapshot(envKey))
      entry = { ruleset, clientVisible: clientVisibleOf(ruleset), listeners: new Set(), resetListeners: new Set(), unsubscribe }
      for (const change of held) apply(entry, envKey, change)
      held = undefined
      return entry
    } catch (error) {
      unsubscribe()
      throw error
    }
  }

  function apply(env: EnvEntry, envKey: string, change: Change): void {
    const outcome = applyChange(env.ruleset, change)
    if (outcome === 'gap') {
      // A gap cannot happen in-process (publish follows commit, in order); if it ever did, the
      // database is the truth: read it again and carry on from there.
      log?.(`rules of ${envKey}: change ${change.version} after ${env.ruleset.version}; reloading`)
      void store.snapshot(envKey).then((snapshot) => {
        if (snapshot.version <= env.ruleset.version) return
        env.ruleset = rulesetFromSnapshot(snapshot)
        env.clientVisible = clientVisibleOf(env.ruleset)
      }, (error: unknown) => log?.(`reloading rules of ${envKey} failed`, error))
      return
    }
    if (outcome === 'applied') trackVisibility(env.clientVisible, change)
    else return
    for (const listener of env.listeners) listener(env.ruleset, change)
  }

  /**
   * The change log could not fill a gap (replicas): read the rules again from a snapshot, tell
   * reset listeners (the stream sends its SDKs a snapshot), then apply what arrived meanwhile.
   */
  async function reload(envKey: string, version: number): Promise<void> {
    const env = envs.get(envKey)
    if (!env || env.held) return
    env.held = []
    try {
      const snapshot = await store.snapshot(envKey)
      if (snapshot.version >= version && snapshot.version > env.ruleset.version) {
        env.ruleset = rulesetFromSnapshot(snapshot)
        env.clientVisible = clientVisibleOf(env.ruleset)
        for (const listener of env.resetListeners) listener(env.ruleset)
      }
    } catch (error) {
      log?.(`reloading rules of ${envKey} after a resync failed`, error)
    } finally {
      const held = env.held
      env.held = undefined
      for (const change of held) apply(env, envKey, change)
    }
  }
  const stopResync = hub.onResync((envKey, version) => void reload(envKey, version))

  return {
    /** Loads an environment's rules (once; NotFoundError for an unknown environment). */
    async load(envKey: string): Promise<Ruleset> {
      const ready = envs.get(envKey)
      if (ready) return ready.ruleset
      let pending = loading.get(envKey)
      if (!pending) {
        pending = read(envKey).finally(() => loading.delete(envKey))
        loading.set(envKey, pending)
      }
      const entry = await pending
      envs.set(envKey, entry)
      return entry.ruleset
    },
    /** The current ruleset of a loaded environment. */
    get: (envKey: string): Ruleset => loaded(envKey).ruleset,
    /**
     * Keys of the environment's client-visible flags, kept as changes arrive, so client-key
     * evaluation costs what the visible flags cost, however many others there are.
     */
    clientVisible: (envKey: string): ReadonlySet<string> => loaded(envKey).clientVisible,
    /** Calls `listener` after each change of a loaded environment has been applied. */
    subscribe(envKey: string, listener: RulesListener): () => void {
      const env = loaded(envKey)
      env.listeners.add(listener)
      return () => env.listeners.delete(listener)
    },
    /** Calls `listener` when the ruleset was replaced by a snapshot (a replica's resync). */
    onReset(envKey: string, listener: (ruleset: Ruleset) => void): () => void {
      const env = loaded(envKey)
      env.resetListeners.add(listener)
      return () => env.resetListeners.delete(listener)
    },
    close() {
      stopResync()
      for (const env of envs.values()) env.unsubscribe()
      envs.clear()
    },
  }
}

export type EnvRules = ReturnType<typeof createEnvRules>
