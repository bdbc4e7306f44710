import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPgStore, type PgStore } from '../../server/store/pg/pg-store.ts'
import { generateUnleashFile } from '../fixtures/import/generate.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'
import { makeStack } from '../helpers/stack.ts'

/**
 * The import on PostgreSQL: one transaction (the flag and segment writes nest as savepoints),
 * so a failure midway leaves nothing; a re-run changes nothing.
 */

let database: TestDatabase
let store: PgStore
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  store = await createPgStore(database.url)
})
afterAll(async () => {
  await store?.close()
  await database?.drop()
})

const file = generateUnleashFile(120, 31)
const url = '/api/v1/import/unleash?environment=production'

describe('Unleash import on PostgreSQL', () => {
  it('leaves nothing behind when a write fails midway, then imports all and re-runs idempotently', { timeout: 120_000 }, async () => {
    const s = await makeStack({ store })
    const victim = file.features.filter((f) => !('dependencies' in f))[80]!.name
    await store.pool.query(`create function refuse_one() returns trigger language plpgsql as $$
      begin if new.key = '${victim.replace(/'/g, "''")}' then raise exception 'disk says no'; end if; return new; end $$`)
    await store.pool.query('create trigger refuse_one before insert on flags for each row execute function refuse_one()')
    const before = await s.fingerprint()
    const failed = await s.call('POST', url, { body: file })
    expect(failed.status).toBe(500)
    expect(await s.fingerprint()).toEqual(before)
    expect((await s.call('GET', '/api/v1/flags')).json.items).toEqual([])
    expect(await store.segments.list('production')).toEqual([])

    await store.pool.query('drop trigger refuse_one on flags')
    const res = await s.call('POST', url, { body: file })
    expect(res.status).toBe(201)
    const mapped = res.json.report.filter((r: { status: string }) => r.status !== 'cannot_map').length
    expect((await s.call('GET', '/api/v1/flags')).json.items.length).toBe(mapped)
    const after = await s.fingerprint()
    const again = await s.call('POST', url, { body: file })
    expect(again.json.outcome.flags.every((f: { action: string }) => f.action === 'unchanged')).toBe(true)
    expect(await s.fingerprint()).toEqual(after)
    await s.guard.close()
  })
})
