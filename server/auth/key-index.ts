import { hash, timingSafeEqual } from 'node:crypto'
import type { ApiKeyInfo, KeyStore } from '../store/contract.ts'

/** How often open connections' keys are re-checked against the store by default (README "Security"). */
export const DEFAULT_KEY_RECHECK_MS = 30_000
/** The longest re-check interval allowed: a lost revocation notice closes a stream within this. */
export const MAX_KEY_RECHECK_MS = 60_000

/**
 * Told when keys were revoked: close every stream whose key `isRevoked` says so. One scan of the
 * holder's own connections, whether one key was revoked or a re-check found several.
 */
export type RevocationListener = (isRevoked: (keyId: string) => boolean) => void

/** How a person's session or token is named where keys are (stream principals, revocation notices). */
export const credentialId = (kind: 'session' | 'token', id: string) => `${kind}:${id}`

/** Whether a principal id names a person's session or token rather than an API key. */
export const isCredentialId = (id: string) => id.startsWith('session:') || id.startsWith('token:')

interface Entry {
  key: ApiKeyInfo
  /** The sha256 of the secret, as bytes, for the constant-time comparison. */
  hash: Buffer
}

/**
 * The server's in-memory index of API keys, so that checking a key on a request costs a hash
 * and a map lookup, not a SQL query. Kept current by three paths:
 * - this process's own revocations (`markRevoked`, called by the keys route after commit),
 * - the other replicas' (`markRevoked` from the `canary_keys` notification, replication/change-feed.ts),
 * - a re-check against the store (`recheck`, every `start(everyMs)` and after a lost LISTEN
 *   connection), so a lost notification cannot keep a revoked key's stream open.
 * A key not in the index (created since the last load by another replica or by
 * `canary keys create --db` offline) is looked up in the store once, then kept.
 * Revocation is permanent, so a revoked id never comes back, whatever order reads finish in.
 *
 * The lookup is by the secret's sha256, never by the secret: its timing can tell an attacker
 * about hashes of their own guesses only. The stored and computed hashes are then compared in
 * constant time, as the store's own `verify` does.
 *
 * @example
 * const keys = createKeyIndex({ store: store.keys, log })
 * await keys.recheck()                // load every key once
 * keys.onRevoked((isRevoked) => closeStreamsWhere(isRevoked))
 * await keys.verify(secret)           // ApiKeyInfo | undefined, no SQL for a known key
 */
export function createKeyIndex(deps: {
  store: Pick<KeyStore, 'verify' | 'entries'>
  log: (message: string, error?: unknown) => void
}) {
  const byHash = new Map<string, Entry>()
  const hashById = new Map<string, string>()
  const revoked = new Set<string>()
  const listeners = new Set<RevocationListener>()
  const rightsListeners = new Set<RevocationListener>()
  let timer: NodeJS.Timeout | undefined
  let rechecking: Promise<void> | undefined

  function admit(key: ApiKeyInfo, hashHex: string): void {
    if (key.revokedAt !== null || revoked.has(key.id)) return
    byHash.set(hashHex, { key, hash: Buffer.from(hashHex, 'hex') })
    hashById.set(key.id, hashHex)
  }

  function forget(id: string): void {
    revoked.add(id)
    const hash = hashById.get(id)
    if (hash === undefined) return
    byHash.delete(hash)
    hashById.delete(id)
  }

  function closeRevoked(): void {
    const isRevoked = (keyId: string) => revoked.has(keyId)
    for (const listener of listeners) {
      try {
        listener(isRevoked)
      } catch (error) {
        // One holder failing to close must not keep the others' streams of the key open.
        deps.log('closing the streams of a revoked key failed', error)
      }
    }
  }

  async function readStore(): Promise<void> {
    for (const { key, hash } of await deps.store.entries()) {
      if (key.revokedAt === null) admit(key, hash)
      else forget(key.id)
    }
    // Every time, not only when something was newly revoked: a stream opened in a race with a
    // revocation is closed here at the latest.
    closeRevoked()
  }

  function recheck(): Promise<void> {
    rechecking ??= readStore().finally(() => (rechecking = undefined))
    return rechecking
  }

  return {
    /** The live key for a secret, or undefined (unknown or revoked). */
    async verify(secret: string): Promise<ApiKeyInfo | undefined> {
      // One-shot: a third of `createHash(…).update(…).digest()`'s cost, on every SDK request.
      const digest = hash('sha256', secret, 'buffer')
      const hex = digest.toString('hex')
      const entry = byHash.get(hex)
      if (entry !== undefined) return timingSafeEqual(entry.hash, digest) ? entry.key : undefined
      const key = await deps.store.verify(secret)
      if (key === undefined || revoked.has(key.id)) return undefined
      admit(key, hex)
      return key
    },
    /**
     * Whether a key id is live in the index (an OFREP event-stream grant names its key by id),
     * or a person's `session:<id>` / `token:<id>` has not been ended (they are checked in the
     * store when a ticket is issued; their endings arrive through `markRevoked`, here or
     * announced by another replica).
     */
    isLive: (id: string): boolean => hashById.has(id) || (isCredentialId(id) && !revoked.has(id)),
    /** A key was revoked (here or on another replica): refuse it and close its streams at once. */
    markRevoked(keyId: string): void {
      forget(keyId)
      closeRevoked()
    },
    /**
     * A person's roles changed (here or on another replica): their open console streams
     * (`session:<id>`, `token:<id>`) close so that they reconnect and are authorized again.
     * Nothing is revoked: the session and token stay valid.
     */
    rightsChanged(ids: readonly string[]): void {
      const affected = new Set(ids)
      for (const listener of rightsListeners) {
        try {
          listener((id) => affected.has(id))
        } catch (error) {
          deps.log('closing the streams of a person whose roles changed failed', error)
        }
      }
    },
    /** Calls `listener` when people's roles changed (see `rightsChanged`); returns the unsubscribe. */
    onRightsChanged(listener: RevocationListener): () => void {
      rightsListeners.add(listener)
      return () => rightsListeners.delete(listener)
    },
    /** Calls `listener` whenever keys were revoked or re-checked; returns the unsubscribe. */
    onRevoked(listener: RevocationListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Reads every key from the store, refuses those revoked there and closes their streams. */
    recheck,
    /** Re-checks every `everyMs` (at most `MAX_KEY_RECHECK_MS`). */
    start(everyMs: number = DEFAULT_KEY_RECHECK_MS): void {
      clearInterval(timer)
      timer = setInterval(() => {
        recheck().catch((error: unknown) => deps.log('re-checking API keys against the store failed; retrying on the next interval', error))
      }, Math.min(everyMs, MAX_KEY_RECHECK_MS))
      timer.unref()
    },
    async close(): Promise<void> {
      clearInterval(timer)
      await rechecking?.catch(() => {})
    },
  }
}

export type KeyIndex = ReturnType<typeof createKeyIndex>
