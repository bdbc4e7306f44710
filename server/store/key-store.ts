import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { and, asc, eq, isNull } from 'drizzle-orm'
import { NotFoundError } from '../errors.ts'
import type { Db } from './db.ts'
import { recordAudit } from './record-change.ts'
import { apiKeys } from './schema.ts'

export type { ApiKeyInfo, KeyKind } from './contract.ts'
import type { ApiKeyInfo, KeyKind } from './contract.ts'

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex')

/** `cf_<kind>_` + 32 random bytes (base64url): the kind is visible, the rest unguessable. */
export function newSecret(kind: KeyKind): string {
  return `cf_${kind}_${randomBytes(32).toString('base64url')}`
}

function toInfo(row: typeof apiKeys.$inferSelect): ApiKeyInfo {
  const { id, name, kind, envKey, prefix, createdAt, revokedAt } = row
  return { id, name, kind, environment: envKey, prefix, createdAt, revokedAt }
}

/** API keys, stored as sha256 hashes. */
export function createKeyStore(db: Db) {
  return {
    /** Stores a key; the secret is returned to the caller once and never again. */
    create(
      input: { name: string; kind: KeyKind; environment: string | null; secret?: string },
      actor: string,
    ): { key: ApiKeyInfo; secret: string } {
      const secret = input.secret ?? newSecret(input.kind)
      return db.transaction((tx) => {
        const row = tx
          .insert(apiKeys)
          .values({
            id: randomUUID(),
            name: input.name,
            kind: input.kind,
            envKey: input.environment,
            hash: hashSecret(secret),
            prefix: secret.slice(0, 12),
          })
          .returning()
          .get()
        const key = toInfo(row)
        recordAudit(tx, { actor, action: 'key.create', envKey: input.environment, after: key })
        return { key, secret }
      })
    },

    list(): ApiKeyInfo[] {
      return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt)).all().map(toInfo)
    },

    count(): number {
      return db.select().from(apiKeys).all().length
    },

    /**
     * The live key for a secret, or undefined. Looked up by hash (an index), then the hashes are
     * compared in constant time so the lookup leaks nothing through timing.
     */
    verify(secret: string): ApiKeyInfo | undefined {
      const hash = hashSecret(secret)
      const row = db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
        .get()
      if (!row) return undefined
      const same = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))
      return same ? toInfo(row) : undefined
    },

    revoke(id: string, actor: string): ApiKeyInfo {
      return db.transaction((tx) => {
        const row = tx.select().from(apiKeys).where(eq(apiKeys.id, id)).get()
        if (!row) throw new NotFoundError(`key ${id}`)
        const revoked = tx
          .update(apiKeys)
          .set({ revokedAt: row.revokedAt ?? Date.now() })
          .where(eq(apiKeys.id, id))
          .returning()
          .get()!
        recordAudit(tx, { actor, action: 'key.revoke', envKey: row.envKey, before: toInfo(row), after: toInfo(revoked) })
        return toInfo(revoked)
      })
    },
  }
}

export type KeyStore = ReturnType<typeof createKeyStore>
