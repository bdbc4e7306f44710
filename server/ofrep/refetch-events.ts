import type { Change } from '../../sdk/core/changes.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { Audience } from './evaluation.ts'

/** One `refetchEvaluation` event as written to an SSE stream (ADR 0008). */
export interface RefetchEvent {
  /** The environment version, so a reconnecting `EventSource` can say where it was (`Last-Event-ID`). */
  id: string
  data: string
}

/** One open event stream. */
export interface Listener {
  environment: string
  audience: Audience
  keyId: string
  /** When its token expires (ms, the `now` clock): the stream is ended then (`endExpired`). */
  expiresAt: number
  send(event: RefetchEvent): void
  /** Ends the stream (its key was revoked, its token expired, or the server is closing). */
  end(): void
}

export interface RefetchOptions {
  rules: EnvRules
  now: () => number
  /** Changes within this window after the first become one event. Default 50 ms. */
  coalesceMs?: number
}

/** Whether client keys could see a change: it touches a flag visible before or after it. */
function touchesVisible(change: Change, before: ReadonlySet<string>, after: ReadonlySet<string>): boolean {
  if (change.type === 'flag') return before.has(change.flag.key) || after.has(change.flag.key)
  if (change.type === 'flag_deleted') return before.has(change.key)
  // A segment may be used by any flag; only worth telling clients when they see some flag.
  return after.size > 0 || before.size > 0
}

/**
 * The fan-out behind the OFREP event streams: listens to each environment's rules (like the
 * WebSocket fan-out) while it has open streams, and tells them to refetch. Bursts (a plan step,
 * a batch of edits) are coalesced into one event carrying the latest version. Client-key streams
 * hear only changes to flags they can see, so a hidden flag's edits stay invisible.
 *
 * @example
 * const events = createRefetchEvents({ rules, now: Date.now })
 * const close = events.open({ environment: 'production', audience: 'client', keyId, send, end })
 */
export function createRefetchEvents(options: RefetchOptions) {
  const { rules, now } = options
  const coalesceMs = options.coalesceMs ?? 50
  const envs = new Map<
    string,
    {
      listeners: Set<Listener>
      visible: Set<string>
      pending: { server: boolean; client: boolean }
      timer: ReturnType<typeof setTimeout> | undefined
      unsubscribe: () => void
    }
  >()

  const eventFor = (version: number): RefetchEvent => ({
    id: String(version),
    data: JSON.stringify({ type: 'refetchEvaluation', etag: `"v${version}"`, lastModified: Math.floor(now() / 1000) }),
  })

  function flush(environment: string) {
    const env = envs.get(environment)
    if (env === undefined) return
    env.timer = undefined
    const { pending } = env
    env.pending = { server: false, client: false }
    const event = eventFor(rules.get(environment).version)
    for (const listener of env.listeners) if (pending[listener.audience]) listener.send(event)
  }

  function watch(environment: string) {
    let env = envs.get(environment)
    if (env !== undefined) return env
    const created = {
      listeners: new Set<Listener>(),
      visible: new Set(rules.clientVisible(environment)),
      pending: { server: false, client: false },
      timer: undefined as ReturnType<typeof setTimeout> | undefined,
      unsubscribe: () => {},
    }
    created.unsubscribe = rules.subscribe(environment, (_ruleset, change) => {
      const after = rules.clientVisible(environment)
      created.pending.server = true
      if (touchesVisible(change, created.visible, after)) created.pending.client = true
      created.visible = new Set(after)
      created.timer ??= setTimeout(() => flush(environment), coalesceMs)
    })
    envs.set(environment, (env = created))
    return env
  }

  function remove(listener: Listener) {
    const env = envs.get(listener.environment)
    if (env === undefined || !env.listeners.delete(listener) || env.listeners.size > 0) return
    clearTimeout(env.timer)
    env.unsubscribe()
    envs.delete(listener.environment)
  }

  return {
    /**
     * Registers a stream; returns its removal. `lastEventId` (a version) makes a stream that
     * missed changes while reconnecting hear one refetch at once.
     */
    open(listener: Listener, lastEventId?: string): () => void {
      const env = watch(listener.environment)
      env.listeners.add(listener)
      const version = rules.get(listener.environment).version
      const last = lastEventId === undefined ? undefined : Number(lastEventId)
      if (last !== undefined && Number.isInteger(last) && last < version) listener.send(eventFor(version))
      return () => remove(listener)
    },
    /**
     * Ends every stream of a revoked key. Each is removed here, before its end runs, so no event
     * reaches it after the revocation, however late the stream itself finishes.
     */
    closeRevoked(isRevoked: (keyId: string) => boolean) {
      for (const env of [...envs.values()])
        for (const listener of [...env.listeners])
          if (isRevoked(listener.keyId)) {
            remove(listener)
            listener.end()
          }
    },
    /**
     * Ends every stream whose token has expired by `now()`: a token is checked while its stream
     * is open, not only at connect (each stream's own timer does it on time; this runs with every
     * key re-check, so a clock that jumped or a timer that was late cannot keep one open).
     */
    endExpired() {
      const at = now()
      for (const env of [...envs.values()])
        for (const listener of [...env.listeners])
          if (listener.expiresAt <= at) {
            remove(listener)
            listener.end()
          }
    },
    /** Streams currently open (for tests and metrics). */
    count(): number {
      let n = 0
      for (const env of envs.values()) n += env.listeners.size
      return n
    },
    close() {
      for (const env of [...envs.values()]) for (const listener of [...env.listeners]) listener.end()
    },
  }
}

export type RefetchEvents = ReturnType<typeof createRefetchEvents>
