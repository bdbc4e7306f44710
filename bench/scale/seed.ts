/**
 * The 10,000-flag database, written offline (the synchronous store on the file, before the server
 * opens it): 20,000 admin API calls would take minutes on a busy machine and measure nothing
 * this part reports. The rows are the ones the API writes: `createFlag`, then `updateState`.
 */
import type { Cohort } from '../../sdk/core/types.ts'
import { openDb } from '../../server/store/db.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'

export const flagKey = (i: number) => `flag-${String(i).padStart(5, '0')}`

/**
 * The 20-user beta list of every flag, as in the memory part, scripts/measure-sizing.ts and the
 * issue's figures (so they compare). `user-0` is on everywhere: the SDK child checks that. One
 * list repeated is deflate's best case: the compression ratio here is an upper bound.
 */
const BETA_USERS = Array.from({ length: 20 }, (_, i) => `user-${i}`)
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south']

/**
 * Rich flags as in the eval and memory parts: a 20-user beta list at 100% and a region cohort
 * at a partial rollout. `shift` moves the rollout, so successive writes always change the flag.
 */
export function richCohorts(flag: number, shift = 0): Cohort[] {
  return [
    { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: BETA_USERS }], rollout: 100 },
    { name: 'region', conditions: [{ attribute: 'region', operator: 'in', values: [REGIONS[flag % REGIONS.length]!] }], rollout: ((flag + shift) % 100) + 0.5 },
  ]
}

/** Every fourth flag is client-visible, so the client-key index has work too. */
export const isClientSide = (i: number) => i % 4 === 0

/** Seeds `path` (a new file) with the server's default environments and `count` rich flags on in production. */
export async function seedDatabase(path: string, count: number): Promise<void> {
  const { sqlite, db, close } = openDb(path)
  const store = createSqliteStore(db)
  const done: Array<Promise<unknown>> = []
  // One transaction (the store's own become savepoints): one fsync instead of 20,000. A SQLite
  // store method has done its work when it returns (see createSqliteStore), so the calls run
  // inside it and their promises are awaited after.
  sqlite.transaction(() => {
    // The environments `canary serve` creates on first start; it then only adds the admin key.
    done.push(store.flags.createEnvironment({ key: 'development', name: 'Development' }, 'system'))
    done.push(store.flags.createEnvironment({ key: 'production', name: 'Production' }, 'system'))
    for (let i = 0; i < count; i++) {
      const key = flagKey(i)
      done.push(store.flags.createFlag({ key, description: `bench flag ${i}`, tags: ['bench'], clientSide: isClientSide(i) }, 'bench'))
      done.push(
        store.flags.updateState('production', key, {
          actor: 'bench',
          action: 'flag.state.update',
          update: () => ({ enabled: true, cohorts: richCohorts(i) }),
        }),
      )
    }
  })()
  await Promise.all(done)
  close()
}
