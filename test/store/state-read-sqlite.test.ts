import { afterEach, describe, expect, it } from 'vitest'
import type { Plan } from '../../api-shapes/plan.ts'
import type { Store } from '../../server/store/contract.ts'
import { openDb } from '../../server/store/db.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import { sqliteStateReader } from '../../server/store/state-read-sqlite.ts'

/**
 * The admin read of one state maps its SQLite row by hand (state-read-sqlite.ts): its answer must
 * be the drizzle read's (`listStates`, `selectStates` + `toState`), field for field, for every
 * kind of column: booleans, JSON cohorts, guard and plan, null JSON, the flag's visibility.
 */
describe('the SQLite read of one flag state', () => {
  const closers: (() => void)[] = []
  afterEach(() => closers.splice(0).forEach((close) => close()))

  const storeOnDb = () => {
    const { db, close } = openDb(':memory:')
    closers.push(close)
    return { db, store: createSqliteStore(db) }
  }

  const seed = async (store: Store) => {
    await store.flags.createEnvironment({ key: 'production', name: 'Production' }, 'alice')
    await store.flags.createFlag({ key: 'plain', description: '', tags: [], clientSide: false }, 'alice')
    await store.flags.createFlag({ key: 'rich', description: 'd', tags: ['t'], clientSide: true }, 'alice')
    const plan: Plan = { cohort: 'beta', steps: [1, 5, 25], intervalSeconds: 60, step: 1, status: 'active', nextAt: 60_000, note: 'n', startedAt: 5 }
    await store.flags.updateState('production', 'rich', {
      actor: 'alice',
      action: 'x',
      update: () => ({
        enabled: true,
        stickiness: 'accountId',
        cohorts: [
          { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['u1', 'u2'] }], rollout: 30 },
          { name: 'everyone', conditions: [], rollout: 0 },
        ],
        guard: { maxErrorRate: 0.05, minExposures: 100 },
        plan,
      }),
    })
  }

  it('answers what the drizzle read answers, for a plain state and a rich one', async () => {
    const { db, store } = storeOnDb()
    await seed(store)
    const read = sqliteStateReader(db)
    const drizzle = new Map((await store.flags.listStates('production')).map((s) => [s.key, s]))
    for (const key of ['plain', 'rich']) {
      const state = read('production', key)
      expect(state).toEqual(drizzle.get(key))
      // Same keys in the same order: the admin answer's bytes do not change.
      expect(JSON.stringify(state)).toBe(JSON.stringify(drizzle.get(key)))
    }
    const rich = read('production', 'rich')!
    expect([rich.enabled, rich.clientSide, rich.stickiness, rich.cohorts[0]!.rollout, rich.guard?.maxErrorRate, rich.plan?.step]).toEqual([
      true,
      true,
      'accountId',
      30,
      0.05,
      1,
    ])
    expect([read('production', 'plain')!.enabled, read('production', 'plain')!.guard, read('production', 'plain')!.plan]).toEqual([false, null, null])
  })

  it('answers undefined for a state that does not exist, and getState names what is missing', async () => {
    const { db, store } = storeOnDb()
    await seed(store)
    expect(sqliteStateReader(db)('production', 'nope')).toBeUndefined()
    expect(sqliteStateReader(db)('staging', 'rich')).toBeUndefined()
    await expect(store.flags.getState('production', 'nope')).rejects.toThrow(/nope/)
    await expect(store.flags.getState('staging', 'rich')).rejects.toThrow(/staging/)
  })

  it('refuses a stored guard that is not a guard, naming the state (as the drizzle read does)', async () => {
    const { db, store } = storeOnDb()
    await seed(store)
    db.$client.prepare(`UPDATE flag_states SET guard = '{"maxErrorRate":"high"}' WHERE flag_key = 'rich'`).run()
    await expect(store.flags.getState('production', 'rich')).rejects.toThrow(/guard of flag rich in production/)
  })
})
