import type { LogStore } from '../store/contract.ts'
import { encodeFrame, type Frame } from './frame.ts'

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
 * Committed history never changes, so a kept answer stays right; a failed read is not kept.
 *
 * @example
 * const missed = createMissedChanges(store.logs)
 * const frame = await missed('production', 41, 42) // one change, encoded once
 */
export function createMissedChanges(logs: Pick<LogStore, 'changesSince'>) {
  const inSync = encodeFrame({ type: 'changes', changes: [] })
  const kept = new Map<string, Promise<Frame | undefined>>()

  return function missedChanges(env: string, version: number, upTo: number): Promise<Frame | undefined> {
    if (version === upTo) return Promise.resolve(inSync)
    const id = `${env}\u0000${version}\u0000${upTo}`
    let answer = kept.get(id)
    if (answer === undefined) {
      answer = logs.changesSince(env, version, upTo).then((changes) => (changes ? encodeFrame({ type: 'changes', changes }) : undefined))
      answer.catch(() => kept.delete(id))
      kept.set(id, answer)
      if (kept.size > KEPT) kept.delete(kept.keys().next().value!)
    }
    return answer
  }
}

export type MissedChanges = ReturnType<typeof createMissedChanges>
