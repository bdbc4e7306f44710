import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RawData, WebSocket } from 'ws'
import { announcedModes } from '../../sdk/core/bucketing-capability.ts'
import { CLOSE, parseClientMessage, type ReceivedClientMessage } from '../../sdk/core/protocol.ts'
import { AppError, ValidationError } from '../errors.ts'
import { ClientCredit } from '../rate-limit/client-credit.ts'
import type { EvidenceIntake } from '../guard/evidence-intake.ts'
import type { ClientLimits } from '../rate-limit/client-limits.ts'
import type { ApiKeyInfo, Store } from '../store/contract.ts'
import type { Connection } from './connection.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { SendResults } from './results-sender.ts'
import { createMissedChanges, type MissedChanges } from './missed-changes.ts'
import { sendChanges, sendMissed, sendSnapshot as sendSnapshotView } from './snapshot-frame.ts'
import type { Send } from './send.ts'

export interface SessionDeps {
  store: Pick<Store, 'logs'>
  rules: EnvRules
  send: Send
  sendResults: SendResults
  limits: ClientLimits
  intake?: EvidenceIntake | undefined
  now: () => number
  log: (message: string, error?: unknown) => void
}

/** An upgraded socket's authentication, and the TCP socket under it. */
export interface AcceptedSocket {
  key: ApiKeyInfo
  environment: string
  /** Frees the connection's client-key slot when it closes. */
  release: () => void
  /** The permessage-deflate window its handshake agreed, if any. */
  deflateWindow: number | undefined
  /** The socket `ws` writes to (corked while a read's answers are written). */
  transport: Pick<Duplex, 'cork' | 'uncork'>
}

/**
 * Snapshot, or exactly the missed changes when the SDK's version is recent enough. Reading the
 * change log is async: changes committed meanwhile are held for this socket (`held`) and sent
 * after the missed ones, so the SDK sees every version once, in order.
 */
async function catchUp(deps: Pick<SessionDeps, 'rules' | 'send'> & { missed: MissedChanges }, conn: Connection, version: number | undefined) {
  const { rules, send } = deps
  const upTo = rules.get(conn.environment).version
  if (version === undefined || version > upTo) return sendSnapshot(deps, conn)
  conn.held = []
  try {
    const missed = await deps.missed(conn.environment, version, upTo, conn.bucketing)
    if (!missed) return sendSnapshot(deps, conn)
    // A replica's resync replaced the held changes by a snapshot meanwhile: that is sent.
    if (!conn.held) return
    conn.sentVersion = upTo
    sendMissed(send, conn, missed)
    const later = conn.held.filter((change) => change.version > upTo)
    if (later.length > 0) {
      conn.sentVersion = later.at(-1)!.version
      sendChanges(send, conn, later)
    }
  } finally {
    conn.held = undefined
  }
}

function sendSnapshot({ rules, send }: Pick<SessionDeps, 'rules' | 'send'>, conn: Connection) {
  const ruleset = rules.get(conn.environment)
  conn.held = undefined
  conn.sentVersion = ruleset.version
  sendSnapshotView(send, conn, ruleset)
}

/**
 * One connection's session, from its first message to its close: `hello` (snapshot, or exactly
 * the missed changes), `identify` (client keys), `ping`, `metrics`. Returns `open`, which
 * registers an authenticated socket in `connections`.
 */
export function createSessions(connections: Map<string, Connection>, deps: SessionDeps) {
  const { rules, send, sendResults, limits, log } = deps
  const missed = createMissedChanges(deps.store.logs)

  function handle(conn: Connection, message: ReceivedClientMessage): Promise<void> | undefined {
    switch (message.type) {
      case 'hello':
        conn.sdk = message.sdk.slice(0, 100)
        conn.appliedVersion = message.version
        conn.bucketing = announcedModes(message.bucketing)
        if (conn.key.kind === 'admin') return // the console loads state over REST, then listens
        if (conn.key.kind === 'client') {
          if (!takeIdentity(conn)) return
          conn.user = message.user ?? {}
          sendResults(conn, rules.get(conn.environment))
        } else return catchUp({ rules, send, missed }, conn, message.version)
        return
      case 'identify':
        if (conn.key.kind !== 'client') return
        if (!takeIdentity(conn)) return
        conn.user = message.user
        conn.sdk ??= 'unknown'
        sendResults(conn, rules.get(conn.environment))
        return
      case 'ping':
        if (message.version !== undefined) conn.appliedVersion = message.version
        send(conn, { type: 'pong' })
        return
      case 'metrics':
        if (conn.key.kind === 'admin') {
          conn.socket.close(CLOSE.policy, 'admin connections do not report metrics')
          return
        }
        return ingestMetrics(conn, message.batch)
    }
  }

  /**
   * A refused batch is acknowledged with the error (the SDK drops it: resending cannot help) and
   * changes nothing; the socket stays up. A client key's batch before its `hello` named a user
   * has no one to attribute it to and is refused the same way.
   */
  async function ingestMetrics(conn: Connection, batch: unknown) {
    const id = typeof (batch as { id?: unknown })?.id === 'string' ? String((batch as { id: string }).id).slice(0, 128) : ''
    if (!deps.intake) return send(conn, { type: 'metrics_ack', id })
    try {
      const outcome =
        conn.key.kind === 'client'
          ? conn.user
            ? await deps.intake.fromClient(conn.environment, batch, conn.user, conn.credit)
            : missingUser()
          : await deps.intake.fromServer(conn.environment, batch)
      conn.unknownFlags += outcome.unknownFlags
      send(conn, { type: 'metrics_ack', id: outcome.id })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      conn.refusedBatches++
      send(conn, { type: 'metrics_ack', id, error: { code: error.code, message: error.message } })
    }
  }

  function missingUser(): never {
    throw new ValidationError('user: a client key reports metrics after hello names its user')
  }

  /**
   * Counts one identity (a full evaluation, and a guess at who is in which cohort) against the
   * connection's budget; over it, the socket is closed with 4429 and the SDK backs off.
   */
  function takeIdentity(conn: Connection): boolean {
    const verdict = limits.identities.take(conn.id)
    if (verdict.allowed) return true
    const perMinute = limits.settings.identitiesPerConnectionPerMinute
    conn.socket.close(CLOSE.rateLimited, `too many identities: at most ${perMinute} a minute per connection`)
    return false
  }

  /** Registers an authenticated socket; `release` frees its client-key slot when it closes. */
  return function open(socket: WebSocket, request: IncomingMessage, accepted: AcceptedSocket): Connection {
    const { key, environment, release, deflateWindow, transport } = accepted
    const conn: Connection = {
      id: randomUUID(),
      socket,
      key,
      environment,
      connectedAt: Date.now(),
      remoteAddress: request.socket.remoteAddress,
      deflateWindow,
      sdk: undefined,
      sentVersion: undefined,
      appliedVersion: undefined,
      user: undefined,
      results: new Map(),
      sent: new Map(),
      alive: true,
      credit: new ClientCredit(deps.now()),
      unknownFlags: 0,
      refusedBatches: 0,
      bucketing: new Set(),
      unavailable: new Set(),
    }
    connections.set(conn.id, conn)
    socket.on('pong', () => (conn.alive = true))
    let holding = false
    const letGo = () => {
      holding = false
      transport.uncork()
    }
    socket.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true
      // What this read's frames answer (a burst of metrics acks) leaves in one write, after the
      // answers of this turn: one system call instead of one per frame.
      if (!holding) {
        holding = true
        transport.cork()
        setImmediate(letGo)
      }
      if (isBinary) return socket.close(CLOSE.invalidPayload, 'binary frames are not part of the protocol')
      const parsed = parseClientMessage(data.toString())
      if (typeof parsed === 'string') return socket.close(CLOSE.policy, parsed.slice(0, 120))
      const failed = (error: unknown) => {
        log(`stream message from ${key.name} failed`, error)
        socket.close(1011, 'internal error')
      }
      try {
        handle(conn, parsed)?.catch(failed)
      } catch (error) {
        failed(error)
      }
    })
    // ws closes with 1009 itself on oversized frames and emits 'error'; the socket is gone either way.
    socket.on('error', () => {})
    socket.on('close', () => {
      connections.delete(conn.id)
      limits.identities.forget(conn.id)
      release()
    })
    return conn
  }
}

export type OpenSession = ReturnType<typeof createSessions>
