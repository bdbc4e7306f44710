import { randomUUID, timingSafeEqual } from 'node:crypto'
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import type { KeyStore } from '../contract.ts'
import { decideRevoke, found, keyCreated, keyRevoked, missing, newKeyRow } from '../decisions.ts'
import { hashSecret, newSecret, toKeyInfo } from '../rows.ts'
import type { PgDb } from './db.ts'
import { KEYS_CHANNEL, revocationAnnouncement } from './key-announcement.ts'
import { recordAudit } from './record-change.ts'
import { apiKeys, environments } from './schema.ts'

/** API keys on PostgreSQL, stored as sha256 hashes (the same hashing as the SQLite store). */
export function createPgKeyStore(db: PgDb): KeyStore {
  return {
    async create(input, actor) {
      const secret = input.secret ?? newSecret(input.kind)
      return db.transaction(async (tx) => {
        const environment = input.environment
        if (environment !== null) {
          // Key share: the environment cannot be deleted under the new key before commit.
          const [env] = await tx
            .select()
            .from(environments)
            .where(eq(environments.key, environment))
            .for('key share')
          found(env, () => missing.environment(environment))
        }
        const [row] = await tx
          .insert(apiKeys)
          .values(newKeyRow(input, secret, randomUUID()))
          .returning()
        const key = toKeyInfo(row!)
        await recordAudit(tx, keyCreated(key, actor))
        return { key, secret }
      })
    },

    list: async () =>
      (await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))).map(
        toKeyInfo,
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
      return same ? toKeyInfo(row) : undefined
    },

    entries: async () => (await db.select().from(apiKeys)).map((row) => ({ key: toKeyInfo(row), hash: row.hash })),

    revoke: (id, actor) =>
      db.transaction(async (tx) => {
        const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update')
        const set = decideRevoke(id, row && toKeyInfo(row), Date.now())
        const [revoked] = await tx.update(apiKeys).set(set).where(eq(apiKeys.id, id)).returning()
        await recordAudit(tx, keyRevoked(toKeyInfo(row!), toKeyInfo(revoked!), actor))
        // Delivered at commit, in commit order with the changes: a replica closes the key's
        // streams before it hears any change committed after the revocation.
        await tx.execute(sql`select pg_notify(${KEYS_CHANNEL}, ${revocationAnnouncement(id)})`)
        return toKeyInfo(revoked!)
      }),
  }
}
