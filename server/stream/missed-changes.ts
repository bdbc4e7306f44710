import type { Change } from '../../sdk/core/changes.ts'
import { changesFor, viewKey, type Modes } from '../domain/bucketing-view.ts'
import type { LogStore } from '../store/contract.ts'
import { encodeFrame, type Frame } from './frame.ts'

/** The missed changes as read (to track what the SDK holds unavailable) and their frame for one view. */
export interface Missed {
  changes: readonly Change[]
  frame: Frame
}

/** Reads kept: a restart brings SDKs back at a handful of versions, never hundreds. */
const KEPT = 64

/**
 * The `changes` frame that answers a `hello` at `version` while the environment is at `upTo`:
 * read from the change log once and encoded (and compressed, frame.ts) once for every SDK that
 * asks the same. After a restart every SDK comes back with the version it held, nearly all the
 * same one: without this each paid its own transaction, query, parse and encoding, most of a
 * reconnect's server time. `version == upTo` is the empty frame, the "in sync" answer (SPEC.md
 * §5.1), with no read at all. Resolves to undefined when the log no longer holds every missed
 * change (the caller sends a snapshot).
 *
 * The frame is per view (the bucketing modes the SDK announced, bucketing-view.ts): SDKs that
 * announced the same modes share it. Committed history never changes, so a kept answer stays
 * right; a failed read is not kept.
 *
 * @example
 * const missed = createMissedChanges(store.logs)
 * const { frame } = await missed('production', 41, 42, modes) // one change, encoded once
 */
export function createMissedChanges(logs: Pick<LogStore, 'changesSince'>) {
  const inSync: Missed = { changes: [], frame: encodeFrame({ type: 'changes', changes: [] }) }
  const reads = new Map<string, Promise<Change[] | undefined>>()
  const frames = new Map<string, Promise<Missed | undefined>>()

  /** Bounded like a cache of the last few: the oldest entry goes first. */
  const keep = <T>(map: Map<string, T>, id: string, value: T) => {
    map.set(id, value)
    if (map.size > KEPT) map.delete(map.keys().next().value!)
  }

  return function missedChanges(env: string, version: number, upTo: number, modes: Modes): Promise<Missed | undefined> {
    if (version === upTo) return Promise.resolve(inSync)
    const readId = `${env}\u0000${version}\u0000${upTo}`
    const id = `${readId}\u0000${viewKey(modes)}`
    let answer = frames.get(id)
    if (answer === undefined) {
      let read = reads.get(readId)
      if (read === undefined) {
        read = logs.changesSince(env, version, upTo)
        read.catch(() => reads.delete(readId))
        keep(reads, readId, read)
      }
      answer = read.then((changes) => (changes ? { changes, frame: encodeFrame({ type: 'changes', changes: changesFor(changes, modes) }) } : undefined))
      answer.catch(() => frames.delete(id))
      keep(frames, id, answer)
    }
    return answer
  }
}

export type MissedChanges = ReturnType<typeof createMissedChanges>
