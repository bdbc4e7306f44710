import { and, eq } from 'drizzle-orm'
import type { WebhookSecretStore } from './contract.ts'
import type { Db } from './db.ts'
import { signingSecrets } from './webhook-secret-rows.ts'
import { webhookSecrets } from './schema.ts'

/** Guard webhooks' signing secrets on SQLite (see `WebhookSecretStore`). */
export function createSqliteWebhookSecretStore(db: Db): WebhookSecretStore {
  const where = (envKey: string, flagKey: string) => and(eq(webhookSecrets.envKey, envKey), eq(webhookSecrets.flagKey, flagKey))
  return {
    async signing(envKey, flagKey, now) {
      return signingSecrets(db.select().from(webhookSecrets).where(where(envKey, flagKey)).get(), now)
    },
    async ensure(envKey, flagKey, secret, now) {
      const inserted = db.insert(webhookSecrets).values({ envKey, flagKey, secret, createdAt: now }).onConflictDoNothing().run()
      return inserted.changes === 1
    },
    async rotate(envKey, flagKey, secret, previousUntil, now) {
      db.transaction((tx) => {
        const current = tx.select().from(webhookSecrets).where(where(envKey, flagKey)).get()
        if (!current) return void tx.insert(webhookSecrets).values({ envKey, flagKey, secret, createdAt: now }).run()
        tx.update(webhookSecrets)
          .set({ secret, previousSecret: current.secret, previousUntil, createdAt: now })
          .where(where(envKey, flagKey))
          .run()
      })
    },
  }
}
