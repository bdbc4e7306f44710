import { randomUUID, timingSafeEqual } from 'node:crypto'
import { and, asc, count, eq, isNull } from 'drizzle-orm'
import { NotFoundError } from '../../errors.ts'
import type { ApiKeyInfo, KeyStore } from '../contract.ts'
import { hashSecret, newSecret } from '../rows.ts'
import type { PgDb } from './db.ts'
import { recordAudit } from './record-change.ts'
import { apiKeys, environments } from './schema.ts'

function toInfo(row: typeof apiKeys.$inferSelect): ApiKeyInfo {
  const { id, name, kind, envKey, prefix, createdAt, revokedAt } = row
  return { id, name, kind, environment: envKey, prefix, createdAt, revokedAt }
}

/** API keys on PostgreSQL, stored as sha256 hashes (the same hashing as the SQLite store). */
export function createPgKeyStore(db: PgDb): KeyStore {
  return {
    async create(input, actor) {
      const secret = input.secret ?? newSecret(input.kind)
      return db.transaction(async (tx) => {
        if (input.environment !== null) {
          // Key share: the environment cannot be deleted under the new key before commit.
          const [env] = await tx
            .select()
            .from(environments)
            .where(eq(environments.key, input.environment))
            .for('key share')
          if (!env) throw new NotFoundError(`environment ${input.environment}`)
        }
        const [row] = await tx
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
        const key = toInfo(row!)
        await recordAudit(tx, {
          actor,
          action: 'key.create',
          envKey: input.environment,
          after: key,
        })
        return { key, secret }
      })
    },

    list: async () =>
      (await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))).map(
        toInfo,
      ),

    async count() {
      const [row] = await db.select({ n: count() }).from(apiKeys)
      return row?.n ?? 0
    },

    async verify(secret) {
      const hash = hashSecret(secret)
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
      if (!row) return undefined
      // The lookup is by index; comparing the hashes in constant time leaks nothing more.
      const same = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))
      return same ? toInfo(row) : undefined
    },

    revoke: (id, actor) =>
      db.transaction(async (tx) => {
        const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update')
        if (!row) throw new NotFoundError(`key ${id}`)
        const [revoked] = await tx
          .update(apiKeys)
          .set({ revokedAt: row.revokedAt ?? Date.now() })
          .where(eq(apiKeys.id, id))
          .returning()
        await recordAudit(tx, {
          actor,
          action: 'key.revoke',
          envKey: row.envKey,
          before: toInfo(row),
          after: toInfo(revoked!),
        })
        return toInfo(revoked!)
      }),
  }
}
