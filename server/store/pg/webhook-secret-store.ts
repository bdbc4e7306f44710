import { and, eq } from 'drizzle-orm'
import type { WebhookSecretStore } from '../contract.ts'
import { signingSecrets } from '../webhook-secret-rows.ts'
import type { PgDb } from './db.ts'
import { webhookSecrets } from './schema.ts'

/** Guard webhooks' signing secrets on PostgreSQL (see `WebhookSecretStore`). */
export function createPgWebhookSecretStore(db: PgDb): WebhookSecretStore {
  const where = (envKey: string, flagKey: string) => and(eq(webhookSecrets.envKey, envKey), eq(webhookSecrets.flagKey, flagKey))
  return {
    async signing(envKey, flagKey, now) {
      const [row] = await db.select().from(webhookSecrets).where(where(envKey, flagKey))
      return signingSecrets(row, now)
    },
    async ensure(envKey, flagKey, secret, now) {
      const inserted = await db.insert(webhookSecrets).values({ envKey, flagKey, secret, createdAt: now }).onConflictDoNothing().returning()
      return inserted.length === 1
    },
    async rotate(envKey, flagKey, secret, previousUntil, now) {
      await db.transaction(async (tx) => {
        // Row lock: two rotations at once keep a coherent previous secret.
        const [current] = await tx.select().from(webhookSecrets).where(where(envKey, flagKey)).for('update')
        if (!current) return void (await tx.insert(webhookSecrets).values({ envKey, flagKey, secret, createdAt: now }).onConflictDoNothing())
        await tx.update(webhookSecrets).set({ secret, previousSecret: current.secret, previousUntil, createdAt: now }).where(where(envKey, flagKey))
      })
    },
  }
}
