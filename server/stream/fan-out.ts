import type { Change } from '../../sdk/core/changes.ts'
import { affectedFlags, type Ruleset } from '../../sdk/core/ruleset.ts'
import type { Connection } from './connection.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { SendResults } from './results-sender.ts'
import { changesFor, trackSent, viewKey } from '../domain/bucketing-view.ts'
import { sendChanges, sendSnapshot } from './snapshot-frame.ts'
import { encodeFrame, type Frame } from './frame.ts'
import type { Send } from './send.ts'

/** Sockets served between two yields to the event loop during one fan-out. */
const SOCKETS_PER_SLICE = 500

/** When a queued fan-out starts: the next turn of the event loop, after the write has answered. */
export type ScheduleFanOut = (start: () => void) => void
const nextTurn: ScheduleFanOut = (start) => void setImmediate(start)

/** Changes of one environment committed since its last fan-out began. */
interface Pending {
  changes: Change[]
  /** Flags whose client results may have changed; `all` after a segment change. */
  clientKeys: Set<string> | 'all'
}

/**
 * Fan-out: the committed changes of a watched environment go to every SDK of it — server keys
 * the changes themselves, client keys their changed results, the console a `console_change` per
 * change. After a replica's resync (the ruleset replaced by a snapshot), server keys get the
 * snapshot and client keys a full set.
 *
 * Off the write path: a commit only queues its change (the rules were already updated, so a
 * socket that says hello meanwhile gets it in its snapshot or catch-up); the fan-out runs on a
 * later turn, one at a time per environment (each after a rest as long as the previous one's
 * busy time), and yields every SOCKETS_PER_SLICE sockets so requests are not held behind it. Changes committed while one runs go out together in the next,
 * as one `changes` frame per socket: in version order, each version once, so an SDK resumes
 * from any version in it. A socket that already has some of them (it caught up or got a
 * snapshot since they were queued) gets only the later ones.
 */
export function createFanOut(deps: {
  connections: ReadonlyMap<string, Connection>
  rules: EnvRules
  send: Send
  sendResults: SendResults
  metrics?: { fanOut(environment: string, seconds: number): void } | undefined
  log: (message: string, error?: unknown) => void
  schedule?: ScheduleFanOut | undefined
}) {
  const { connections, rules, send, sendResults } = deps
  const schedule = deps.schedule ?? nextTurn
  const watching = new Map<string, () => void>()
  const pending = new Map<string, Pending>()
  /** Per environment, the fan-out queued or under way; the next one starts after it. */
  const running = new Map<string, Promise<void>>()
  /**
   * Per environment, when the next fan-out may start: one that kept the event loop busy for B ms
   * is followed by B ms for everything else. Under a stream of writes to thousands of SDKs the
   * fan-out takes at most about half the loop (and each frame carries more changes); when
   * changes are rare, or SDKs few, nothing waits.
   */
  const restUntil = new Map<string, number>()
  const rest = (envKey: string) => {
    const wait = (restUntil.get(envKey) ?? 0) - performance.now()
    return wait > 0 ? new Promise<void>((resolve) => setTimeout(resolve, wait)) : undefined
  }

  function onChange(envKey: string, ruleset: Ruleset, change: Change) {
    let queued = pending.get(envKey)
    if (!queued) {
      pending.set(envKey, (queued = { changes: [], clientKeys: new Set() }))
      const next = (running.get(envKey) ?? Promise.resolve())
        .then(() => rest(envKey))
        .then(() => new Promise<void>((resolve) => schedule(resolve)))
        .then(() => fanOut(envKey))
        .catch((error: unknown) => deps.log(`fan-out of ${envKey} failed`, error))
        .finally(() => {
          if (running.get(envKey) === next) running.delete(envKey)
        })
      running.set(envKey, next)
    }
    queued.changes.push(change)
    // A segment change may affect every flag; client keys only ever see the visible ones.
    if (change.type === 'segment' || change.type === 'segment_deleted') queued.clientKeys = 'all'
    else if (queued.clientKeys !== 'all') for (const key of affectedFlags(ruleset, change)) queued.clientKeys.add(key)
  }

  async function fanOut(envKey: string): Promise<void> {
    const queued = pending.get(envKey)
    if (!queued) return
    pending.delete(envKey) // later commits queue the next fan-out
    const started = performance.now()
    const { changes } = queued
    const last = changes.at(-1)!.version
    // Encoded once for every server-key SDK (per set of announced bucketing modes, when some
    // change carries a mode an SDK lacks): the cost per socket is one send.
    const frame = encodeFrame({ type: 'changes', changes })
    const viewFrames = new Map<string, Frame>()
    const frameFor = (conn: Connection): Frame => {
      trackSent(conn.unavailable, { changes }, conn.bucketing)
      const mapped = changesFor(changes, conn.bucketing)
      if (mapped === changes) return frame
      const name = viewKey(conn.bucketing)
      let viewFrame = viewFrames.get(name)
      if (viewFrame === undefined) viewFrames.set(name, (viewFrame = encodeFrame({ type: 'changes', changes: mapped })))
      return viewFrame
    }
    const clientKeys = queued.clientKeys === 'all' ? rules.clientVisible(envKey) : queued.clientKeys
    let consoleFrames: Frame[] | undefined
    let served = 0
    let busyMs = 0
    let sliceStarted = started
    // A copy: sockets that open during a yield get these changes in their snapshot instead.
    for (const conn of [...connections.values()]) {
      if (conn.environment !== envKey || conn.sdk === undefined) continue
      if (conn.key.kind === 'admin') {
        consoleFrames ??= changes.map((change) => encodeFrame({ type: 'console_change', environment: envKey, change }))
        for (const consoleFrame of consoleFrames) send(conn, consoleFrame)
      } else if (conn.key.kind === 'client') {
        // Results of the latest rules: a later change's own fan-out re-sends only differences.
        sendResults(conn, rules.get(envKey), clientKeys)
      } else if (conn.held) {
        conn.held.push(...changes) // catching up: sent after the missed changes, in order
      } else if (conn.sentVersion === undefined || conn.sentVersion < last) {
        const sentVersion = conn.sentVersion ?? -Infinity
        const unsent = changes[0]!.version > sentVersion ? undefined : changes.filter((c) => c.version > sentVersion)
        conn.sentVersion = last
        if (unsent) sendChanges(send, conn, unsent)
        else send(conn, frameFor(conn))
      }
      if (++served % SOCKETS_PER_SLICE === 0) {
        busyMs += performance.now() - sliceStarted
        await new Promise<void>((resolve) => setImmediate(resolve))
        sliceStarted = performance.now()
      }
    }
    const ended = performance.now()
    restUntil.set(envKey, ended + busyMs + (ended - sliceStarted))
    deps.metrics?.fanOut(envKey, (ended - started) / 1000)
  }

  /** The rules were replaced by a snapshot: nobody may be left with a gap. */
  function onReset(envKey: string, ruleset: Ruleset) {
    for (const conn of connections.values()) {
      if (conn.environment !== envKey || conn.sdk === undefined) continue
      if (conn.key.kind === 'client') sendResults(conn, ruleset)
      else if (conn.key.kind === 'server') {
        // A catch-up in flight ends with what it holds; the snapshot supersedes all of it, and
        // queued changes up to its version are skipped for this socket.
        conn.held = undefined
        conn.sentVersion = ruleset.version
        sendSnapshot(send, conn, ruleset)
      }
    }
  }

  return {
    /** Starts fanning out an environment's changes (once; its rules are loaded). */
    watch(envKey: string): void {
      if (watching.has(envKey)) return
      const stopChanges = rules.subscribe(envKey, (ruleset, change) => onChange(envKey, ruleset, change))
      const stopResets = rules.onReset(envKey, (ruleset) => onReset(envKey, ruleset))
      watching.set(envKey, () => {
        stopChanges()
        stopResets()
      })
    },
    /** Resolves once every change queued so far has gone out (shutdown drains with it). */
    async settled(): Promise<void> {
      while (running.size > 0) await Promise.all(running.values())
    },
    close(): void {
      for (const stop of watching.values()) stop()
      watching.clear()
      pending.clear()
      restUntil.clear()
    },
  }
}

export type FanOut = ReturnType<typeof createFanOut>
