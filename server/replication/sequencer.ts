import type { Change } from '../../sdk/core/changes.ts'

export interface SequencerDeps {
  /** Where each change goes, once and in version order per environment (the hub). */
  publish(envKey: string, change: Change): void
  /** The change log: the changes after a version, or undefined when they are no longer kept. */
  changesSince(envKey: string, afterVersion: number): Promise<Change[] | undefined>
  /** The environment's committed version now (after the change log could not fill a gap). */
  currentVersion(envKey: string): Promise<number>
  /**
   * The change log no longer holds what is missing: listeners must start again from a snapshot
   * of at least `version` (rules reloaded, SDKs sent a snapshot). Never a silent gap.
   */
  resync(envKey: string, version: number): void
  log: (message: string, error?: unknown) => void
}

interface EnvSequence {
  /** The last version published. */
  published: number
  /** Later versions that arrived before the ones between: published once the gap is filled. */
  held: Map<number, Change>
  /** The fill from the change log in flight, and whether another was asked for meanwhile. */
  filling: Promise<void> | undefined
  again: boolean
  /** The highest version known to be committed (from an announcement or a version check). */
  known: number
}

/**
 * The one publication path of a replica: its own commits (`offer`, right after commit) and the
 * other replicas' (`notice`, from NOTIFY or the version check) reach the hub exactly once each,
 * in version order per environment. Versions already published are dropped; a later one is
 * held while the gap before it is read from the change log.
 *
 * @example
 * const sequencer = createSequencer({ publish: hub.publish, changesSince, currentVersion, resync, log })
 * sequencer.start([{ key: 'production', version: 41 }])
 * sequencer.offer('production', change42) // published at once
 * sequencer.notice('production', 44)      // reads 43, 44 from the change log, then publishes them
 */
export function createSequencer(deps: SequencerDeps) {
  const envs = new Map<string, EnvSequence>()

  /** An environment not seen at start is new: its versions begin at 1. */
  function entry(envKey: string): EnvSequence {
    let env = envs.get(envKey)
    if (!env) envs.set(envKey, (env = { published: 0, held: new Map(), filling: undefined, again: false, known: 0 }))
    return env
  }

  function publishInOrder(envKey: string, env: EnvSequence): void {
    for (let next = env.held.get(env.published + 1); next; next = env.held.get(env.published + 1)) {
      env.held.delete(next.version)
      env.published = next.version
      deps.publish(envKey, next)
    }
  }

  function offer(envKey: string, change: Change): void {
    const env = entry(envKey)
    if (change.version <= env.published) return
    env.known = Math.max(env.known, change.version)
    env.held.set(change.version, change)
    publishInOrder(envKey, env)
    if (env.held.size > 0) fill(envKey, env)
  }

  /** Reads what is missing from the change log; one read at a time per environment. */
  function fill(envKey: string, env: EnvSequence): void {
    if (env.filling) {
      env.again = true
      return
    }
    env.filling = (async () => {
      do {
        env.again = false
        if (env.published >= env.known && env.held.size === 0) break
        const before = env.published
        const missed = await deps.changesSince(envKey, env.published)
        if (missed) {
          for (const change of missed) if (change.version > env.published) env.held.set(change.version, change)
          publishInOrder(envKey, env)
        } else await resync(envKey, env)
        // No progress (the log cannot be read yet): the next announcement or version check retries.
        if (env.published === before && !env.again) break
      } while (env.again || env.published < env.known)
    })()
      .catch((error: unknown) => deps.log(`replication: reading the changes of ${envKey} failed; the version check retries`, error))
      .finally(() => (env.filling = undefined))
  }

  async function resync(envKey: string, env: EnvSequence): Promise<void> {
    const version = await deps.currentVersion(envKey)
    deps.log(`replication: changes of ${envKey} after ${env.published} are no longer in the change log; resyncing at ${version}`)
    env.published = Math.max(env.published, version)
    env.known = Math.max(env.known, version)
    for (const v of env.held.keys()) if (v <= env.published) env.held.delete(v)
    deps.resync(envKey, version)
    publishInOrder(envKey, env)
  }

  return {
    /** The versions already reflected in what listeners loaded (read at start, before LISTEN). */
    start(versions: Array<{ key: string; version: number }>): void {
      for (const { key, version } of versions) {
        const env = entry(key)
        env.published = Math.max(env.published, version)
        env.known = Math.max(env.known, version)
      }
    },
    /** A change this replica committed, right after commit. */
    offer,
    /** Another replica committed `version` (announcement or version check): catch up to it. */
    notice(envKey: string, version: number): void {
      const env = entry(envKey)
      if (version <= env.published) return
      env.known = Math.max(env.known, version)
      fill(envKey, env)
    },
    /** The last version published per environment (tests, metrics). */
    published: (envKey: string): number => envs.get(envKey)?.published ?? 0,
    /** Resolves when no read from the change log is in flight (tests, shutdown). */
    async idle(): Promise<void> {
      await Promise.all([...envs.values()].map((e) => e.filling))
    },
  }
}

export type Sequencer = ReturnType<typeof createSequencer>
