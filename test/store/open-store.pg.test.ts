import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { openStore } from '../../server/store/open-store.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'

describe('openStore', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'))
  })
  afterAll(() => database.drop())

  it('opens the SQLite file when no database URL is configured', async () => {
    const store = await openStore({ databaseUrl: undefined, sqlitePath: ':memory:' })
    expect(store.dialect).toBe('sqlite')
    expect(await store.flags.listEnvironments()).toEqual([])
    await store.close()
  })

  it('opens PostgreSQL, migrated, when a database URL is configured; migrating again is a no-op', async () => {
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ databaseUrl: database.url, sqlitePath: ':memory:' })
      expect(store.dialect).toBe('postgres')
      expect(await store.flags.listEnvironments()).toEqual([])
      await store.close()
    }
  })

  it('lets replicas that start together migrate one at a time', async () => {
    const fresh = await createTestDatabase(inject('postgresUrl'))
    try {
      const stores = await Promise.all(
        [1, 2, 3].map(() => openStore({ databaseUrl: fresh.url, sqlitePath: ':memory:' })),
      )
      await stores[0]!.flags.createEnvironment({ key: 'production', name: 'Production' }, 'a')
      for (const store of stores) expect((await store.flags.listEnvironments()).length).toBe(1)
      await Promise.all(stores.map((store) => store.close()))
    } finally {
      await fresh.drop()
    }
  })
})
