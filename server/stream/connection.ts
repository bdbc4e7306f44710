import type { WebSocket } from 'ws'
import type { Change } from '../../sdk/core/changes.ts'
import type { BucketingMode, EvalResult, User } from '../../sdk/core/types.ts'
import type { ClientCredit } from '../rate-limit/client-credit.ts'
import type { ApiKeyInfo } from '../store/contract.ts'

/** One live SDK socket and what the server knows about it. */
export interface Connection {
  readonly id: string
  readonly socket: WebSocket
  readonly key: ApiKeyInfo
  readonly environment: string
  readonly connectedAt: number
  readonly remoteAddress: string | undefined
  /**
   * The deflate window this peer accepts for shared compressed frames (`frame.ts`); undefined:
   * frames go to it uncompressed.
   */
  readonly deflateWindow: number | undefined
  /** Set by `hello`; until then the connection receives nothing. */
  sdk: string | undefined
  /** Last environment version sent to this SDK. */
  sentVersion: number | undefined
  /** Last version the SDK reported as applied (hello / ping). */
  appliedVersion: number | undefined
  /** Server keys, while catching up from the change log: live changes held until it is sent. */
  held?: Change[] | undefined
  /** Client keys only: the identified user… */
  user: User | undefined
  /**
   * …the server's detailed answers for them (never sent; the guard can read the arm the server
   * computed for this connection's user from them)…
   */
  results: Map<string, EvalResult>
  /** …and the public answers last sent (generic reasons, client-visible flags only). */
  sent: Map<string, EvalResult>
  /** Heartbeat: false after a ping until the pong arrives. */
  alive: boolean
  /** Client keys: how much guard evidence this browser may still add (one user's worth). */
  readonly credit: ClientCredit
  /** Flags named in this SDK's metrics that the environment does not have (dropped). */
  unknownFlags: number
  /** Metrics batches refused by validation. */
  refusedBatches: number
  /** Server keys: the bucketing modes the SDK announced in `hello` (none until then). */
  bucketing: ReadonlySet<BucketingMode>
  /** Server keys: flags this SDK holds in their unavailable form, for a mode it did not announce. */
  unavailable: Set<string>
}

/**
 * The language and version in a hello's `sdk` (`canary-flags-<language>/<version>`, sdk/SPEC.md
 * §5.1); both null for a name in another form.
 *
 * @example
 * sdkIdentity('canary-flags-go/0.1.0') // { language: 'go', sdkVersion: '0.1.0' }
 */
export function sdkIdentity(sdk: string | undefined): { language: string | null; sdkVersion: string | null } {
  const match = /^canary-flags-([a-z0-9-]+)\/(\S+)$/.exec(sdk ?? '')
  return match ? { language: match[1]!, sdkVersion: match[2]! } : { language: null, sdkVersion: null }
}

/** What `GET /api/v1/connections` shows: never the key secret or the user's attributes. */
export function describeConnection(c: Connection) {
  return {
    id: c.id,
    keyId: c.key.id,
    keyName: c.key.name,
    kind: c.key.kind,
    environment: c.environment,
    sdk: c.sdk ?? null,
    ...sdkIdentity(c.sdk),
    // The negotiated sub-protocol: the protocol version this SDK speaks.
    protocol: c.socket.protocol || null,
    sentVersion: c.sentVersion ?? null,
    appliedVersion: c.appliedVersion ?? null,
    connectedAt: c.connectedAt,
    remoteAddress: c.remoteAddress ?? null,
    unknownFlags: c.unknownFlags,
    refusedBatches: c.refusedBatches,
    bucketing: [...c.bucketing],
    unavailableFlags: c.unavailable.size,
  }
}
