import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
import type { ApiKeyInfo } from '../store/contract.ts'
import type { Audience } from './evaluation.ts'

/** What an event-stream URL grants: one key's view of one environment, until it expires. */
export interface StreamGrant {
  /** This token's own random id: open streams are counted per token (streams-per-token.ts). */
  id: string
  keyId: string
  environment: string
  audience: Audience
  expiresAt: number
}

/**
 * How long an event-stream URL stays valid by default (`CANARY_OFREP_STREAM_TOKEN_SECONDS`); a
 * provider gets a fresh one with every bulk answer. A stream open at the expiry is ended then
 * (routes.ts), so a copied URL is worth minutes, not a day.
 */
export const DEFAULT_STREAM_TOKEN_TTL_MS = 10 * 60_000
/** The longest a setting may make it. */
export const MAX_STREAM_TOKEN_TTL_MS = 24 * 3_600_000

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url')

/** Bytes of a token's random id. */
const ID_BYTES = 12
/** Keys whose token prefix is kept (more are written again). */
const MAX_KEYS_KEPT = 10_000
/** Ids drawn from one fill of the pool. */
const IDS_PER_FILL = 256

/**
 * Random ids from a pool filled from the CSPRNG 256 ids at a time: `randomBytes(12)` per token
 * is a system call and a buffer each (about 4 µs, a tenth of an OFREP bulk answer). Every id is
 * still 12 bytes no other id shares.
 */
function randomIds(): () => string {
  const pool = Buffer.alloc(ID_BYTES * IDS_PER_FILL)
  let offset = pool.length
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool)
      offset = 0
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES)
    offset += ID_BYTES
    return id
  }
}

/**
 * Signed tokens for the OFREP event-stream URL. Browsers' `EventSource` cannot send headers, so
 * the URL itself must authorize; putting the SDK key there would leak it into proxy and access
 * logs, so the URL carries a signed, expiring grant naming the key instead. The signing secret
 * is random per process: after a restart (or on another replica) the URL is refused with 401, and
 * the provider fetches the bulk answer again, which carries a fresh URL.
 *
 * @example
 * const tokens = createStreamTokens({ now: Date.now })
 * const token = tokens.issue(key, 'production')
 * tokens.read(token) // { id, keyId, environment: 'production', audience: 'client', expiresAt }
 */
export function createStreamTokens(options: { now: () => number; secret?: Buffer; ttlMs?: number | undefined }) {
  const secret = options.secret ?? randomBytes(32)
  const ttlMs = options.ttlMs ?? DEFAULT_STREAM_TOKEN_TTL_MS
  const sign = (signed: string) => createHmac('sha256', secret).update(signed).digest()
  const nextId = randomIds()
  // `<who>.<id>.<expiresAt>.<signature>`: `who` (key id, environment, audience as base64url JSON)
  // is the same for every token of a key and is written once per key and environment; the id
  // and the expiry are URL-safe as they are. The signature covers the first three parts. Only
  // this process reads its tokens, so the layout is its own.
  const whoOf = new Map<string, string>()
  const who = (key: ApiKeyInfo, environment: string): string => {
    const id = `${key.id}\u0000${environment}`
    let text = whoOf.get(id)
    if (text === undefined) {
      // Bounded by the keys there are; a revoked key's entry goes with the next clear.
      if (whoOf.size >= MAX_KEYS_KEPT) whoOf.clear()
      whoOf.set(id, (text = b64(JSON.stringify([key.id, environment, key.kind === 'client' ? 'client' : 'server']))))
    }
    return text
  }
  return {
    issue(key: ApiKeyInfo, environment: string): string {
      const signed = `${who(key, environment)}.${nextId()}.${options.now() + ttlMs}`
      return `${signed}.${b64(sign(signed))}`
    },
    /** The grant of a well-signed, unexpired token, or undefined. */
    read(token: string | undefined): StreamGrant | undefined {
      const parts = (token ?? '').split('.')
      if (parts.length !== 4 || parts.some((part) => part === '')) return undefined
      const [whoText, id, expiry, signature] = parts as [string, string, string, string]
      const given = Buffer.from(signature, 'base64url')
      const expected = sign(`${whoText}.${id}.${expiry}`)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
      let keyId: string, environment: string, audience: Audience
      try {
        ;[keyId, environment, audience] = JSON.parse(Buffer.from(whoText, 'base64url').toString('utf8')) as [string, string, Audience]
      } catch {
        // Only reachable with our own signature on a text we did not write: treat as refused.
        return undefined
      }
      const expiresAt = Number(expiry)
      return expiresAt > options.now() ? { id, keyId, environment, audience, expiresAt } : undefined
    },
  }
}

export type StreamTokens = ReturnType<typeof createStreamTokens>
