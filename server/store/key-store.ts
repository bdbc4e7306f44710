import { randomUUID, timingSafeEqual } from 'node:crypto'
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import type { KeyStore } from './contract.ts'
import type { Db } from './db.ts'
import { decideRevoke, keyCreated, keyRevoked, newKeyRow } from './decisions.ts'
import { readEnvironment } from './flag-store.ts'
import { recordAudit } from './record-change.ts'
import { hashSecret, newSecret, toKeyInfo } from './rows.ts'
import { apiKeys } from './schema.ts'

/** API keys on SQLite, stored as sha256 hashes. */
export function createSqliteKeyStore(db: Db): KeyStore {
  // Prepared once: the key index (auth/key-index.ts) asks for secrets it does not know.
  const liveByHash = db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, sql.placeholder('hash')), isNull(apiKeys.revokedAt)))
    .prepare()
  return {
    async create(input, actor) {
      // A clear 404 rather than the foreign key's constraint error (same in both dialects).
      if (input.environment !== null) readEnvironment(db, input.environment)
      const secret = input.secret ?? newSecret(input.kind)
      return db.transaction((tx) => {
        const row = tx
          .insert(apiKeys)
          .values(newKeyRow(input, secret, randomUUID()))
          .returning()
          .get()
        const key = toKeyInfo(row)
        recordAudit(tx, keyCreated(key, actor))
        return { key, secret }
      })
    },

    list: async () => db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt)).all().map(toKeyInfo),

    count: async () => db.select({ n: count() }).from(apiKeys).get()?.n ?? 0,

    /**
     * The live key for a secret, or undefined. Looked up by hash (an index), then the hashes are
     * compared in constant time so the lookup leaks nothing through timing.
     */
    async verify(secret) {
      const hash = hashSecret(secret)
      const row = liveByHash.get({ hash })
      if (!row) return undefined
      const same = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))
      return same ? toKeyInfo(row) : undefined
    },

    entries: async () => db.select().from(apiKeys).all().map((row) => ({ key: toKeyInfo(row), hash: row.hash })),

    async revoke(id, actor) {
      return db.transaction((tx) => {
        const row = tx.select().from(apiKeys).where(eq(apiKeys.id, id)).get()
        const set = decideRevoke(id, row && toKeyInfo(row), Date.now())
        const revoked = tx.update(apiKeys).set(set).where(eq(apiKeys.id, id)).returning().get()!
        recordAudit(tx, keyRevoked(toKeyInfo(row!), toKeyInfo(revoked), actor))
        return toKeyInfo(revoked)
      })
    },
  }
}
