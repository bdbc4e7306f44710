import type { Ruleset } from '../../sdk/core/ruleset.ts'
import { diffResults, resultsFor } from './client-results.ts'
import type { Connection } from './connection.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { Send } from './send.ts'

/**
 * Client keys' answers: all of them (`keys` omitted: a full set) or the named flags' changed
 * ones, for the connection's identified user. Used by the session (hello, identify) and the
 * fan-out (each change).
 */
export function createResultsSender(rules: Pick<EnvRules, 'clientVisible'>, send: Send) {
  return (conn: Connection, ruleset: Ruleset, keys?: Iterable<string>): void => {
    if (!conn.user) return
    const full = keys === undefined
    const visible = rules.clientVisible(conn.environment)
    const next = resultsFor(ruleset, visible, conn.user, keys)
    if (full) {
      conn.sent = new Map()
      conn.results = new Map()
    }
    const diff = diffResults(conn.sent, conn.results, next, full ? next.keys() : keys)
    conn.sentVersion = ruleset.version
    if (full || Object.keys(diff).length > 0)
      send(conn, { type: 'results', version: ruleset.version, full, results: diff })
  }
}

export type SendResults = ReturnType<typeof createResultsSender>
