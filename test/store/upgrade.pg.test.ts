import Database from 'better-sqlite3'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3'
import { migrate as sqliteMigrate } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres'
import { migrate as pgMigrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { fromLegacyCounts } from '../../sdk/core/metrics.ts'
import type { Store } from '../../server/store/contract.ts'
import { groupOf } from '../../server/store/batch-group.ts'
import { createPgStore } from '../../server/store/pg/pg-store.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'

/*
 * Upgrades keep data: a database written with the schema of the release before the minute rows
 * went long form (the migrations that existed then, applied from a copy of the folder with a
 * journal cut back) opens with this release's code with nothing lost.
 */

const MIGRATIONS = new URL('../../migrations/', import.meta.url).pathname
const MINUTE = 60_000
const t0 = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE)

/** A copy of a migrations folder holding only its first `keep` migrations: the old release's set. */
function oldMigrations(folder: string, keep: number): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'canary-old-migrations-'))
  cpSync(folder, dir, { recursive: true })
  const journalPath = join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] }
  journal.entries = journal.entries.slice(0, keep)
  writeFileSync(journalPath, JSON.stringify(journal))
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The old release's rows, in SQL both dialects read alike. */
const OLD_ROWS = [
  `INSERT INTO "environments" ("key", "name", "version") VALUES ('production', 'Production', 3)`,
  `INSERT INTO "flags" ("key", "description", "tags") VALUES ('checkout', 'New checkout', '["payments"]')`,
  `INSERT INTO "flag_states" ("flag_key", "env_key", "enabled", "salt", "cohorts", "guard", "version")
     VALUES ('checkout', 'production', true, 'salt-1', '[{"name":"beta","conditions":[],"rollout":25}]', '{"maxErrorRate":0.05,"lastTrip":null}', 2)`,
  `INSERT INTO "segments" ("env_key", "key", "description", "user_ids", "version") VALUES ('production', 'staff', 'Staff', '["u1","u2"]', 3)`,
  `INSERT INTO "api_keys" ("id", "name", "kind", "env_key", "hash", "prefix") VALUES ('k1', 'svc', 'server', 'production', 'hash-1', 'sk_abc')`,
  `INSERT INTO "audit_log" ("actor", "action", "flag_key", "env_key", "version") VALUES ('admin-key:root', 'flag.create', 'checkout', 'production', 1)`,
  // Keys used to show their first 12 characters (half of a short operator key), here and in the audit.
  `INSERT INTO "audit_log" ("actor", "action", "env_key", "after") VALUES ('system', 'key.create', 'production', '{"id":"k1","prefix":"sk_abc"}')`,
  `INSERT INTO "api_keys" ("id", "name", "kind", "env_key", "hash", "prefix") VALUES ('k2', 'gen', 'server', 'production', 'hash-2', 'cf_server_Ab')`,
  `INSERT INTO "metric_batches" ("id", "env_key", "received_at") VALUES ('production:b1', 'production', ${t0})`,
  `INSERT INTO "metrics_minute" ("env_key", "flag_key", "minute", "canary_exposures", "canary_errors", "control_exposures", "control_errors")
     VALUES ('production', 'checkout', ${t0}, 10, 1, 20, 2), ('production', 'checkout', ${t0 + MINUTE}, 5, 0, 7, 3)`,
]

/** What the new code must read back from the old rows. */
async function expectNothingLost(store: Store) {
  expect((await store.flags.listEnvironments()).map((e) => e.key)).toEqual(['production'])
  const flag = await store.flags.getFlag('checkout')
  expect(flag).toMatchObject({ key: 'checkout', description: 'New checkout', tags: ['payments'] })
  const state = await store.flags.getState('production', 'checkout')
  expect(state).toMatchObject({ enabled: true, salt: 'salt-1', version: 2, cohorts: [{ name: 'beta', rollout: 25 }] })
  expect(state.guard).toMatchObject({ maxErrorRate: 0.05 })
  expect(await store.segments.get('production', 'staff')).toMatchObject({ key: 'staff', userIds: ['u1', 'u2'] })
  expect((await store.keys.list()).map((k) => [k.id, k.name, k.kind, k.prefix])).toEqual([
    ['k1', 'svc', 'server', 'operator'],
    ['k2', 'gen', 'server', 'cf_server_'],
  ])
  const keyAudit = (await store.logs.audit({ limit: 10 })).find((entry) => entry.action === 'key.create')
  expect(keyAudit?.after).toEqual({ id: 'k1', prefix: 'operator' })
  const audit = await store.logs.audit({ flag: 'checkout', limit: 10 })
  expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'flag.create', actor: 'admin-key:root' })]))
  expect(await store.metrics.hasBatch('production', 'b1')).toBe(true)
  expect(await store.metrics.series('production', 'checkout', 0)).toEqual([
    { envKey: 'production', flagKey: 'checkout', minute: t0, counts: fromLegacyCounts([10, 1, 20, 2]) },
    { envKey: 'production', flagKey: 'checkout', minute: t0 + MINUTE, counts: fromLegacyCounts([5, 0, 7, 3]) },
  ])
  // And the upgraded table takes new counts on top of the old ones.
  await store.metrics.storeBatches(groupOf([
    { envKey: 'production', batch: { id: 'b2', flags: { checkout: fromLegacyCounts([1, 1, 0, 0]) } }, receivedAt: t0 + 5 },
  ]))
  expect((await store.metrics.series('production', 'checkout', 0))[0]!.counts).toEqual(fromLegacyCounts([11, 2, 20, 2]))
}

describe('upgrading a SQLite database written by the previous release', () => {
  it('keeps flags, segments, keys, audit rows and minute rows in the SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-upgrade-'))
    const old = oldMigrations(MIGRATIONS, 3) // 0000_init … 0002_client_side
    try {
      const file = join(dir, 'canary.db')
      const sqlite = new Database(file)
      sqliteMigrate(sqliteDrizzle(sqlite), { migrationsFolder: old.path })
      for (const statement of OLD_ROWS) sqlite.exec(statement)
      sqlite.close()
      const store = createSqliteStore(file)
      try {
        await expectNothingLost(store)
      } finally {
        await store.close()
      }
    } finally {
      old.remove()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('upgrading a PostgreSQL database written by the previous release', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'))
  })
  afterAll(() => database.drop())

  it('keeps flags, segments, keys, audit rows and minute rows', async () => {
    const old = oldMigrations(join(MIGRATIONS, 'pg'), 2) // 0000_init, 0001_replicas
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await pgMigrate(pgDrizzle(client), { migrationsFolder: old.path })
      for (const statement of OLD_ROWS) await client.query(statement)
    } finally {
      await client.end()
      old.remove()
    }
    const store = await createPgStore(database.url)
    try {
      await expectNothingLost(store)
    } finally {
      await store.close()
    }
  })
})
