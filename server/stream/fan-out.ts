import type { Change } from '../../sdk/core/changes.ts'
import type { ServerMessage } from '../../sdk/core/protocol.ts'
import { affectedFlags, snapshotOf, type Ruleset } from '../../sdk/core/ruleset.ts'
import type { Connection } from './connection.ts'
import type { EnvRules } from './env-rules.ts'
import type { SendResults } from './results-sender.ts'
import type { Send } from './send.ts'

/**
 * Fan-out: each committed change of a watched environment, applied to its rules, goes to every
 * SDK of the environment — server keys the change itself (serialised once), client keys their
 * changed results, the console a `console_change`. After a replica's resync (the ruleset
 * replaced by a snapshot), server keys get the snapshot and client keys a full set.
 */
export function createFanOut(deps: {
  connections: ReadonlyMap<string, Connection>
  rules: EnvRules
  send: Send
  sendResults: SendResults
  metrics?: { fanOut(environment: string, seconds: number): void } | undefined
}) {
  const { connections, rules, send, sendResults } = deps
  const watching = new Map<string, () => void>()

  function onChange(envKey: string, ruleset: Ruleset, change: Change) {
    const started = performance.now()
    // Serialised once for every server-key SDK: the fan-out cost is one send per socket.
    const frame = JSON.stringify({ type: 'changes', changes: [change] } satisfies ServerMessage)
    const affected = affectedFlags(ruleset, change)
    // A segment change may affect every flag; client keys only ever see the visible ones.
    const clientKeys = change.type === 'segment' || change.type === 'segment_deleted' ? rules.clientVisible(envKey) : affected
    let consoleFrame: string | undefined
    for (const conn of connections.values()) {
      if (conn.environment !== envKey || conn.sdk === undefined) continue
      if (conn.key.kind === 'admin') {
        consoleFrame ??= JSON.stringify({ type: 'console_change', environment: envKey, change } satisfies ServerMessage)
        send(conn, consoleFrame)
      } else if (conn.key.kind === 'client') {
        sendResults(conn, ruleset, clientKeys)
      } else if (conn.held) {
        conn.held.push(change) // catching up: sent after the missed changes, in order
      } else {
        conn.sentVersion = change.version
        send(conn, frame)
      }
    }
    deps.metrics?.fanOut(envKey, (performance.now() - started) / 1000)
  }

  /** The rules were replaced by a snapshot: nobody may be left with a gap. */
  function onReset(envKey: string, ruleset: Ruleset) {
    let frame: string | undefined
    for (const conn of connections.values()) {
      if (conn.environment !== envKey || conn.sdk === undefined) continue
      if (conn.key.kind === 'client') sendResults(conn, ruleset)
      else if (conn.key.kind === 'server') {
        // A catch-up in flight ends with what it holds; the snapshot supersedes all of it.
        conn.held = undefined
        conn.sentVersion = ruleset.version
        frame ??= JSON.stringify({ type: 'snapshot', ...snapshotOf(ruleset) } satisfies ServerMessage)
        send(conn, frame)
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
    close(): void {
      for (const stop of watching.values()) stop()
      watching.clear()
    },
  }
}

export type FanOut = ReturnType<typeof createFanOut>
