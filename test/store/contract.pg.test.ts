import { createHash, randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import type { Plan } from '../../api-shapes/plan.ts'
import type { Change, Snapshot } from '../../sdk/core/changes.ts'
import { applyChange, rulesetFromSnapshot, snapshotOf } from '../../sdk/core/ruleset.ts'
import { fromLegacyCounts, toFlatCounts, type LegacyCounts } from '../../sdk/core/metrics.ts'
import type { StoredBatch } from '../../server/store/contract.ts'
import { groupOf } from '../../server/store/batch-group.ts'
import type { Cohort } from '../../sdk/core/types.ts'
import { ConflictError, NotFoundError } from '../../server/errors.ts'
import type { ChangeRequest } from '../../api-shapes/change-requests.ts'
import { decideApproval } from '../../server/domain/change-requests.ts'
import type { EnvChange, Store } from '../../server/store/contract.ts'
import { createPgStore, type PgStore } from '../../server/store/pg/pg-store.ts'
import { CHANGE_LOG_KEEP } from '../../server/store/record-change.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'

/**
 * One suite, every implementation of the store contract. Each implementation gives a fresh,
 * empty store per test, and a second store on the same database (another process or replica)
 * for the concurrency tests.
 */
interface Implementation {
  name: string
  setup(): Promise<void>
  /** An empty store for one test. */
  fresh(): Promise<Store>
  /** Two stores over one empty database. */
  pair(): Promise<[Store, Store]>
  /** A store of its own, which the test closes. */
  standalone(): Promise<Store>
  /** After each test. */
  cleanup(): Promise<void>
  teardown(): Promise<void>
}

function sqliteImplementation(): Implementation {
  const opened: Store[] = []
  const files: string[] = []
  return {
    name: 'sqlite',
    async setup() {},
    async fresh() {
      const store = createSqliteStore(':memory:')
      opened.push(store)
      return store
    },
    async pair() {
      const file = join(tmpdir(), `canary-flags-contract-${randomBytes(6).toString('hex')}.db`)
      files.push(file)
      const pair: [Store, Store] = [createSqliteStore(file), createSqliteStore(file)]
      opened.push(...pair)
      return pair
    },
    standalone: async () => createSqliteStore(':memory:'),
    async cleanup() {
      for (const store of opened.splice(0)) await store.close()
      for (const file of files.splice(0))
        for (const suffix of ['', '-wal', '-shm']) await rm(file + suffix, { force: true })
    },
    async teardown() {},
  }
}

function postgresImplementation(): Implementation {
  let database: TestDatabase
  let main: PgStore
  let second: PgStore | undefined
  return {
    name: 'postgres',
    async setup() {
      database = await createTestDatabase(inject('postgresUrl'))
      main = await createPgStore(database.url)
    },
    async fresh() {
      // One database per file; each test starts from empty tables.
      await main.pool.query(
        `truncate environments, flags, flag_states, segments, api_keys, audit_log, change_log,
           metric_batches, minute_counts restart identity cascade`,
      )
      return main
    },
    async pair() {
      second ??= await createPgStore(database.url)
      return [await this.fresh(), second]
    },
    standalone: () => createPgStore(database.url),
    async cleanup() {},
    async teardown() {
      await second?.close()
      await main?.close()
      await database?.drop()
    },
  }
}

const implementations = [sqliteImplementation(), postgresImplementation()]

const cohort = (name: string, rollout: number, extra: Partial<Cohort> = {}): Cohort => ({
  name,
  conditions: [],
  rollout,
  ...extra,
})

/** A new flag's input: hidden from client keys unless `clientSide` says otherwise. */
const newFlag = (
  key: string,
  extra: { description?: string; tags?: string[]; clientSide?: boolean } = {},
) => ({
  key,
  description: '',
  tags: [],
  clientSide: false,
  ...extra,
})

const batch = (id: string, flags: Record<string, LegacyCounts>): StoredBatch['batch'] => ({
  id,
  flags: Object.fromEntries(Object.entries(flags).map(([flag, counts]) => [flag, fromLegacyCounts(counts)])),
})

/** Everything a refused mutation must leave unchanged. */
async function fingerprint(store: Store) {
  const envs = await store.flags.listEnvironments()
  return {
    envs,
    flags: await store.flags.listFlags({ limit: 10_000 }),
    segments: await Promise.all(envs.map((e) => store.segments.list(e.key))),
    audit: await store.logs.audit({ limit: 10_000 }),
    changes: await Promise.all(envs.map((e) => store.logs.changesSince(e.key, 0))),
    keys: await store.keys.list(),
  }
}

/** The version each committed change produced, per environment. */
const versionsOf = (committed: EnvChange[]) =>
  committed.map((c) => [c.environment, c.change.version])

describe.each(implementations)('store contract: $name', (impl) => {
  let store: Store

  beforeAll(() => impl.setup())
  afterAll(() => impl.teardown())
  beforeEach(async () => {
    store = await impl.fresh()
  })
  afterEach(() => impl.cleanup())

  async function twoEnvironments(s: Store = store) {
    await s.flags.createEnvironment({ key: 'development', name: 'Development' }, 'alice')
    await s.flags.createEnvironment({ key: 'production', name: 'Production' }, 'alice')
  }

  describe('environments', () => {
    it('creates, lists oldest first and reads environments; a duplicate is a conflict', async () => {
      await twoEnvironments()
      const envs = await store.flags.listEnvironments()
      expect(envs.map((e) => [e.key, e.name, e.version])).toEqual([
        ['development', 'Development', 0],
        ['production', 'Production', 0],
      ])
      expect(typeof envs[0]!.createdAt).toBe('number')
      expect(await store.flags.getEnvironment('production')).toEqual(envs[1])
      await expect(store.flags.getEnvironment('staging')).rejects.toBeInstanceOf(NotFoundError)
      const before = await fingerprint(store)
      await expect(
        store.flags.createEnvironment({ key: 'production', name: 'Again' }, 'bob'),
      ).rejects.toMatchObject({
        status: 409,
      })
      expect(await fingerprint(store)).toEqual(before)
    })

    it('gives every live flag an off state in a new environment, paired with that environment', async () => {
      await store.flags.createEnvironment({ key: 'development', name: 'Development' }, 'alice')
      await store.flags.createFlag(newFlag('b-flag'), 'alice')
      await store.flags.createFlag(newFlag('a-flag'), 'alice')
      await store.flags.createFlag(newFlag('gone'), 'alice')
      await store.flags.archiveFlag('gone', 'alice')
      const committed = await store.flags.createEnvironment(
        { key: 'staging', name: 'Staging' },
        'alice',
      )
      expect(committed.map((c) => c.environment)).toEqual(['staging', 'staging'])
      const keys = committed.map((c) => (c.change.type === 'flag' ? c.change.flag.key : '?')).sort()
      expect(keys).toEqual(['a-flag', 'b-flag'])
      expect(committed.map((c) => c.change.version).sort()).toEqual([1, 2])
      expect((await store.flags.getEnvironment('staging')).version).toBe(2)
      const state = await store.flags.getState('staging', 'a-flag')
      expect(state).toMatchObject({
        enabled: false,
        cohorts: [],
        salt: 'a-flag',
        stickiness: 'userId',
        guard: null,
        plan: null,
      })
      const audit = await store.logs.audit({ env: 'staging', limit: 10 })
      expect(audit.map((a) => a.action).sort()).toEqual([
        'environment.create',
        'flag.state.create',
        'flag.state.create',
      ])
    })
  })

  describe('flags', () => {
    it('creates a flag in every environment and pairs each change with its environment by key', async () => {
      // Created out of alphabetical order, and at different versions: a position-based pairing
      // (by list order or by version) would go wrong here.
      await store.flags.createEnvironment({ key: 'zeta', name: 'Zeta' }, 'alice')
      await store.flags.createEnvironment({ key: 'alpha', name: 'Alpha' }, 'alice')
      await store.flags.createFlag(newFlag('first'), 'alice')
      await store.flags.updateState('zeta', 'first', {
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ enabled: true }),
      })
      const committed = await store.flags.createFlag(
        { key: 'checkout-v2', description: 'New checkout', tags: ['web'], clientSide: true },
        'alice',
      )
      expect(committed).toHaveLength(2)
      for (const { environment, change } of committed) {
        expect(change).toMatchObject({
          type: 'flag',
          flag: { key: 'checkout-v2', enabled: false, clientSide: true },
        })
        expect((await store.flags.getEnvironment(environment)).version).toBe(change.version)
        expect(await store.logs.changesSince(environment, change.version - 1)).toEqual([change])
      }
      expect(Object.fromEntries(versionsOf(committed))).toEqual({ zeta: 3, alpha: 2 })

      const flag = await store.flags.getFlag('checkout-v2')
      expect(flag).toMatchObject({
        key: 'checkout-v2',
        description: 'New checkout',
        tags: ['web'],
        clientSide: true,
      })
      expect(flag.states.map((s) => s.environment).sort()).toEqual(['alpha', 'zeta'])
      const actions = (await store.logs.audit({ flag: 'checkout-v2', limit: 10 }))
        .map((a) => a.action)
        .sort()
      expect(actions).toEqual(['flag.create', 'flag.state.create', 'flag.state.create'])
    })

    it('refuses a second live flag with the same key and changes nothing', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      const before = await fingerprint(store)
      await expect(
        store.flags.createFlag(newFlag('checkout-v2', { description: 'x' }), 'bob'),
      ).rejects.toBeInstanceOf(ConflictError)
      expect(await fingerprint(store)).toEqual(before)
    })

    it('lists live flags by key with their states, and updates description and tags', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('b'), 'alice')
      await store.flags.createFlag(newFlag('a'), 'alice')
      const listed = (await store.flags.listFlags({ limit: 10 })).items
      expect(listed.map((f) => [f.key, f.states.length])).toEqual([
        ['a', 2],
        ['b', 2],
      ])
      const versions = await fingerprint(store)
      const updated = await store.flags.updateFlag(
        'a',
        { description: 'Alpha', tags: ['x', 'y'] },
        'bob',
      )
      expect(updated.flag).toMatchObject({ key: 'a', description: 'Alpha', tags: ['x', 'y'] })
      expect(updated.changes).toEqual([])
      expect(await store.flags.getFlag('a')).toMatchObject({
        description: 'Alpha',
        tags: ['x', 'y'],
      })
      // Not a rules change: no environment version moves.
      expect(await store.flags.listEnvironments()).toEqual(versions.envs)
      const [audit] = await store.logs.audit({ flag: 'a', limit: 1 })
      expect(audit).toMatchObject({
        action: 'flag.update',
        actor: 'bob',
        version: null,
        after: { description: 'Alpha' },
      })
      await expect(
        store.flags.updateFlag('missing', { description: 'x' }, 'bob'),
      ).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.flags.getFlag('missing')).rejects.toBeInstanceOf(NotFoundError)
    })

    it('changes client visibility as a versioned change in every environment, paired', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      await store.flags.updateState('production', 'checkout-v2', {
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ enabled: true }),
      })
      const { flag, changes } = await store.flags.updateFlag(
        'checkout-v2',
        { clientSide: true },
        'bob',
      )
      expect(flag.clientSide).toBe(true)
      expect(Object.fromEntries(versionsOf(changes))).toEqual({ development: 2, production: 3 })
      for (const { environment, change } of changes) {
        const state = await store.flags.getState(environment, 'checkout-v2')
        expect(state).toMatchObject({ clientSide: true, version: change.version })
        expect(change).toEqual({
          type: 'flag',
          version: change.version,
          flag: {
            key: 'checkout-v2',
            enabled: environment === 'production',
            salt: 'checkout-v2',
            stickiness: 'userId',
            cohorts: [],
            version: change.version,
            clientSide: true,
          },
        })
        expect(await store.logs.changesSince(environment, change.version - 1)).toEqual([change])
        expect(await store.logs.auditOf(environment, change.version)).toEqual({
          actor: 'bob',
          action: 'flag.client_side',
          flagKey: 'checkout-v2',
        })
      }
      expect((await store.snapshot('production')).flags[0]?.clientSide).toBe(true)
      expect((await store.flags.listFlags({ limit: 1 })).items[0]?.states.every((s) => s.clientSide)).toBe(true)
    })

    it('refuses a definition patch that changes nothing (400) and writes nothing', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2', { tags: ['web'] }), 'alice')
      const before = await fingerprint(store)
      for (const patch of [{}, { tags: ['web'] }, { clientSide: false, description: '' }])
        await expect(store.flags.updateFlag('checkout-v2', patch, 'bob')).rejects.toMatchObject({
          status: 400,
        })
      expect(await fingerprint(store)).toEqual(before)
    })

    it('archives a flag with a paired flag_deleted change per environment; a reused key starts from scratch', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      await store.flags.updateState('production', 'checkout-v2', {
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ enabled: true, cohorts: [cohort('all', 50)] }),
      })
      const committed = await store.flags.archiveFlag('checkout-v2', 'alice')
      expect(Object.fromEntries(versionsOf(committed))).toEqual({ development: 2, production: 3 })
      for (const { change } of committed)
        expect(change).toMatchObject({ type: 'flag_deleted', key: 'checkout-v2' })
      await expect(store.flags.getFlag('checkout-v2')).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.flags.getState('production', 'checkout-v2')).rejects.toBeInstanceOf(
        NotFoundError,
      )
      expect(await store.flags.listFlags({ limit: 10 })).toEqual({ items: [], next: null })
      await expect(store.flags.archiveFlag('checkout-v2', 'alice')).rejects.toBeInstanceOf(
        NotFoundError,
      )
      expect((await store.logs.audit({ flag: 'checkout-v2', limit: 20 })).length).toBe(6)

      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      expect(await store.flags.getState('production', 'checkout-v2')).toMatchObject({
        enabled: false,
        cohorts: [],
      })
    })
  })

  describe('pages of flags and states (keyset by flag key)', () => {
    /** Every page from the start, `limit` flags each, with `between` run after each page. */
    async function allPages(limit: number, between: (page: number) => Promise<void> = async () => {}) {
      const pages: Array<{ keys: string[]; next: string | null }> = []
      let after: string | undefined
      do {
        const page = await store.flags.listFlags({ after, limit })
        pages.push({ keys: page.items.map((f) => f.key), next: page.next })
        after = page.next ?? undefined
        await between(pages.length)
      } while (after !== undefined)
      return pages
    }

    // Plain lowercase letters: the same order in SQLite and in any PostgreSQL collation.
    const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf']

    it('concatenates to every live flag once, in key order, each with its states; the last page says null', async () => {
      await twoEnvironments()
      for (const key of [...KEYS].reverse()) await store.flags.createFlag(newFlag(key), 'alice')
      await store.flags.createFlag(newFlag('archived'), 'alice')
      await store.flags.archiveFlag('archived', 'alice')
      for (const limit of [1, 2, 3, 7, 100]) {
        const pages = await allPages(limit)
        expect(pages.flatMap((p) => p.keys)).toEqual(KEYS)
        expect(pages.map((p) => p.keys.length)).toEqual(
          Array.from({ length: Math.ceil(KEYS.length / limit) }, (_, i) => Math.min(limit, KEYS.length - i * limit)),
        )
        // `next` is the page's last key, and null exactly on the last page (never an empty page after).
        for (const [i, page] of pages.entries())
          expect(page.next).toBe(i === pages.length - 1 ? null : page.keys.at(-1))
      }
      const { items } = await store.flags.listFlags({ after: 'bravo', limit: 2 })
      expect(items.map((f) => f.key)).toEqual(['charlie', 'delta'])
      for (const flag of items) {
        expect(flag.states.map((s) => s.environment)).toEqual(['development', 'production'])
        expect(flag).toEqual(await store.flags.getFlag(flag.key).then((f) => ({
          ...f,
          states: [...f.states].sort((a, b) => a.environment.localeCompare(b.environment)),
        })))
      }
      // A cursor past every key, or of a key that no longer exists, still pages by key.
      expect(await store.flags.listFlags({ after: 'zulu', limit: 5 })).toEqual({ items: [], next: null })
      expect((await store.flags.listFlags({ after: 'archived', limit: 1 })).items.map((f) => f.key)).toEqual(['bravo'])
    })

    it('lists every flag live throughout exactly once while flags are created and archived between pages', async () => {
      await twoEnvironments()
      for (const key of KEYS) await store.flags.createFlag(newFlag(key), 'alice')
      const pages = await allPages(2, async (page) => {
        if (page !== 1) return
        // After the page [alpha, bravo]: behind the cursor and ahead of it.
        await store.flags.archiveFlag('bravo', 'bob')
        await store.flags.createFlag(newFlag('aardvark'), 'bob')
        await store.flags.archiveFlag('echo', 'bob')
        await store.flags.createFlag(newFlag('dingo'), 'bob')
      })
      const keys = pages.flatMap((p) => p.keys)
      // Keyset: no flag twice, every flag live from first to last page listed; a flag created
      // behind the cursor is not (it is in the next listing), one created ahead of it is.
      expect(keys).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'dingo', 'foxtrot', 'golf'])
      expect(new Set(keys).size).toBe(keys.length)
    })

    it('pages the states of one environment by flag key', async () => {
      await twoEnvironments()
      for (const key of KEYS) await store.flags.createFlag(newFlag(key, { clientSide: key === 'delta' }), 'alice')
      const listed: string[] = []
      let after: string | undefined
      do {
        const page = await store.flags.pageStates('production', { after, limit: 3 })
        expect(page.items.every((s) => s.environment === 'production')).toBe(true)
        listed.push(...page.items.map((s) => s.key))
        after = page.next ?? undefined
      } while (after !== undefined)
      expect(listed).toEqual(KEYS)
      const { items, next } = await store.flags.pageStates('production', { after: 'charlie', limit: 1 })
      expect(next).toBe('delta')
      expect(items).toEqual([await store.flags.getState('production', 'delta')])
      expect(items[0]?.clientSide).toBe(true)
      expect(await store.flags.pageStates('production', { after: 'golf', limit: 3 })).toEqual({ items: [], next: null })
      await expect(store.flags.pageStates('staging', { limit: 3 })).rejects.toBeInstanceOf(NotFoundError)
    })
  })

  describe('states', () => {
    beforeEach(async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      await store.flags.createFlag(newFlag('search'), 'alice')
    })

    it('reads one state, the states of an environment, and those with a guard or a plan', async () => {
      expect(await store.flags.getState('production', 'search')).toMatchObject({
        key: 'search',
        environment: 'production',
        version: 2,
      })
      expect((await store.flags.listStates('production')).map((s) => s.key).sort()).toEqual([
        'checkout-v2',
        'search',
      ])
      await expect(store.flags.listStates('staging')).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.flags.getState('staging', 'search')).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.flags.getState('production', 'nope')).rejects.toBeInstanceOf(NotFoundError)

      const guard = { maxErrorRate: 0.05, minExposures: 100 }
      const plan: Plan = { cohort: 'all', steps: [1, 5, 25], intervalSeconds: 60, step: 0, status: 'active', nextAt: 60_000, note: null, startedAt: 0 }
      await store.flags.updateState('production', 'search', {
        actor: 'a',
        action: 'guard.set',
        update: () => ({ guard }),
      })
      await store.flags.updateState('development', 'checkout-v2', {
        actor: 'a',
        action: 'plan.set',
        update: () => ({ plan }),
      })
      expect((await store.flags.listGuarded()).map((s) => [s.environment, s.key, s.guard])).toEqual(
        [['production', 'search', guard]],
      )
      expect((await store.flags.listPlanned()).map((s) => [s.environment, s.key, s.plan])).toEqual([
        ['development', 'checkout-v2', plan],
      ])
    })

    it('stores cohorts\' bucketing modes as given and reads them back unchanged (state, change log, snapshot)', async () => {
      const cohorts = [
        cohort('unleash', 37, { bucketing: { mode: 'unleash', groupId: 'Feature.A', stickiness: 'default' } }),
        cohort('ld', 12.5, {
          bucketing: { mode: 'launchdarkly', flagKey: 'checkout-v2', salt: 'abc', attribute: 'userId', seed: 61, offset: 99_000 },
        }),
        cohort('own', 5),
      ]
      const { state, committed } = await store.flags.updateState('production', 'checkout-v2', {
        expectedVersion: 1,
        actor: 'alice',
        action: 'flag.state.update',
        details: {},
        update: () => ({ enabled: true, cohorts }),
      })
      expect(state.cohorts).toEqual(cohorts)
      expect((await store.flags.getState('production', 'checkout-v2')).cohorts).toEqual(cohorts)
      expect(await store.logs.changesSince('production', committed.change.version - 1)).toEqual([committed.change])
      const snapshot = await store.snapshot('production')
      expect(snapshot.flags.find((f) => f.key === 'checkout-v2')?.cohorts).toEqual(cohorts)
    })

    it('commits a state update, its change-log entry, its audit row and the version bump together', async () => {
      const cohorts = [
        cohort('beta', 100, {
          conditions: [{ attribute: 'userId', operator: 'in', values: ['u1'] }],
        }),
      ]
      const { state, committed } = await store.flags.updateState('production', 'checkout-v2', {
        expectedVersion: 1,
        actor: 'alice',
        action: 'flag.state.update',
        details: { reason: 'beta' },
        update: (current) => {
          expect(current).toMatchObject({ key: 'checkout-v2', version: 1, enabled: false })
          return { enabled: true, cohorts }
        },
      })
      expect(state).toMatchObject({
        key: 'checkout-v2',
        environment: 'production',
        enabled: true,
        cohorts,
        version: 3,
      })
      expect(committed).toEqual({
        environment: 'production',
        change: {
          type: 'flag',
          version: 3,
          flag: {
            key: 'checkout-v2',
            enabled: true,
            salt: 'checkout-v2',
            stickiness: 'userId',
            cohorts,
            version: 3,
            clientSide: false,
          },
        },
      })
      expect((await store.flags.getEnvironment('production')).version).toBe(3)
      expect((await store.flags.getEnvironment('development')).version).toBe(2)
      expect(await store.logs.changesSince('production', 2)).toEqual([committed.change])
      const [audit] = await store.logs.audit({ env: 'production', limit: 1 })
      expect(audit).toMatchObject({
        actor: 'alice',
        action: 'flag.state.update',
        flagKey: 'checkout-v2',
        envKey: 'production',
        version: 3,
        before: { enabled: false, version: 1 },
        after: { enabled: true, version: 3 },
        details: { reason: 'beta' },
      })
      expect(await store.flags.getState('production', 'checkout-v2')).toEqual(state)
    })

    it('refuses a stale expected version with the current state and changes nothing', async () => {
      const first = await store.flags.updateState('production', 'checkout-v2', {
        expectedVersion: 1,
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ enabled: true }),
      })
      const before = await fingerprint(store)
      const refused = store.flags.updateState('production', 'checkout-v2', {
        expectedVersion: 1,
        actor: 'bob',
        action: 'flag.state.update',
        update: () => ({ enabled: false }),
      })
      await expect(refused).rejects.toBeInstanceOf(ConflictError)
      await expect(refused).rejects.toMatchObject({
        status: 409,
        details: { current: first.state },
      })
      expect(await fingerprint(store)).toEqual(before)
    })

    it('leaves nothing behind when the update function throws, and uses no version', async () => {
      const before = await fingerprint(store)
      const failure = new Error('cohort checks failed')
      await expect(
        store.flags.updateState('production', 'checkout-v2', {
          actor: 'alice',
          action: 'flag.state.update',
          update: () => {
            throw failure
          },
        }),
      ).rejects.toBe(failure)
      expect(await fingerprint(store)).toEqual(before)
      const next = await store.flags.updateState('production', 'checkout-v2', {
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ enabled: true }),
      })
      expect(next.committed.change.version).toBe(3)
    })

    it('rejects updates of a missing flag or environment with NotFoundError', async () => {
      const options = { actor: 'a', action: 'x', update: () => ({ enabled: true }) }
      await expect(store.flags.updateState('production', 'nope', options)).rejects.toBeInstanceOf(
        NotFoundError,
      )
      await expect(store.flags.updateState('staging', 'search', options)).rejects.toBeInstanceOf(
        NotFoundError,
      )
    })
  })

  describe('concurrency', () => {
    it('lets exactly one of two writers with the same base version win; the other gets 409', async () => {
      const [a, b] = await impl.pair()
      await twoEnvironments(a)
      await a.flags.createFlag(newFlag('checkout-v2'), 'alice')
      const base = (await b.flags.getState('production', 'checkout-v2')).version
      const write = (s: Store, rollout: number) =>
        s.flags.updateState('production', 'checkout-v2', {
          expectedVersion: base,
          actor: `writer-${rollout}`,
          action: 'flag.state.update',
          update: () => ({ cohorts: [cohort('all', rollout)] }),
        })
      const results = await Promise.allSettled([write(a, 10), write(b, 20)])
      const won = results.filter((r) => r.status === 'fulfilled')
      const lost = results.filter((r) => r.status === 'rejected')
      expect(won).toHaveLength(1)
      expect(lost).toHaveLength(1)
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof write>>>).value
      const error = (lost[0] as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(ConflictError)
      expect(error).toMatchObject({ status: 409, details: { current: winner.state } })
      expect(await a.flags.getState('production', 'checkout-v2')).toEqual(winner.state)
      expect((await a.flags.getEnvironment('production')).version).toBe(base + 1)
    })

    it('gives gap-free, ordered versions to many concurrent writers of one environment', async () => {
      const [a, b] = await impl.pair()
      await twoEnvironments(a)
      const keys = ['f1', 'f2', 'f3', 'f4']
      for (const key of keys) await a.flags.createFlag(newFlag(key), 'alice')
      const start = (await a.flags.getEnvironment('production')).version
      const writes = Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).flags.updateState('production', keys[i % keys.length]!, {
          actor: `writer-${i}`,
          action: 'flag.state.update',
          update: (current) => ({
            cohorts: [cohort('all', (current.cohorts[0]?.rollout ?? 0) + 1)],
          }),
        }),
      )
      // A segment write and a state write in another environment interleave with them.
      const others = [
        a.segments.put(
          'production',
          { key: 'staff', userIds: ['u1'], conditions: [] },
          { actor: 'a', create: true },
        ),
        b.flags.updateState('development', 'f1', {
          actor: 'b',
          action: 'x',
          update: () => ({ enabled: true }),
        }),
      ]
      const results = await Promise.all(writes)
      await Promise.all(others)
      const versions = results.map((r) => r.committed.change.version).sort((x, y) => x - y)
      const end = (await b.flags.getEnvironment('production')).version
      expect(end).toBe(start + 41)
      expect(new Set(versions).size).toBe(40)
      for (const v of versions) expect(v).toBeGreaterThan(start)
      const replay = (await b.logs.changesSince('production', start))!
      expect(replay.map((c) => c.version)).toEqual(
        Array.from({ length: 41 }, (_, i) => start + i + 1),
      )
      // Each update saw the previous one: every flag's rollout counts its ten writes.
      for (const key of keys)
        expect((await a.flags.getState('production', key)).cohorts[0]?.rollout).toBe(10)
      expect((await a.flags.getEnvironment('development')).version).toBe(5)
    })

    it('keeps every environment gap-free under mixed concurrent writers (flags, states, segments)', async () => {
      const [a, b] = await impl.pair()
      await twoEnvironments(a)
      await a.flags.createEnvironment({ key: 'staging', name: 'Staging' }, 'alice')
      for (const key of ['f1', 'f2']) await a.flags.createFlag(newFlag(key), 'alice')
      const envs = ['development', 'production', 'staging']
      const committed: EnvChange[] = []
      const work: Array<Promise<unknown>> = []
      for (let i = 0; i < 30; i++) {
        const s = i % 2 ? a : b
        const env = envs[i % envs.length]!
        work.push(
          s.flags
            .updateState(env, i % 4 < 2 ? 'f1' : 'f2', {
              actor: 'w',
              action: 'x',
              update: () => ({ enabled: i % 3 === 0 }),
            })
            .then((r) => committed.push(r.committed)),
        )
        if (i % 10 === 0)
          work.push(s.flags.createFlag(newFlag(`new-${i}`), 'w').then((c) => committed.push(...c)))
        if (i % 10 === 5)
          work.push(
            s.flags.archiveFlag('f2', 'w').then(
              (c) => committed.push(...c),
              () => undefined,
            ),
          )
        if (i % 7 === 0)
          work.push(
            s.segments
              .put(
                env,
                { key: `seg-${i}`, userIds: [], conditions: [] },
                { actor: 'w', create: true },
              )
              .then((r) => committed.push(r.committed)),
          )
      }
      // Updates of an archived flag may fail with NotFoundError; nothing else may fail.
      const outcomes = await Promise.allSettled(work)
      for (const o of outcomes)
        if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(NotFoundError)
      for (const env of envs) {
        const { version } = await a.flags.getEnvironment(env)
        const log = (await b.logs.changesSince(env, 0))!
        expect(log.map((c) => c.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1))
        // Every change handed back is in its own environment's log at its version.
        for (const c of committed.filter((c) => c.environment === env))
          expect(log[c.change.version - 1]).toEqual(c.change)
      }
      expect(new Set(committed.map((c) => `${c.environment}:${c.change.version}`)).size).toBe(
        committed.length,
      )
    })

    it('creates a flag, an environment or a segment once when two writers create it at once', async () => {
      const [a, b] = await impl.pair()
      const onlyOneWins = (results: PromiseSettledResult<unknown>[]) => {
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        expect(lost.reason).toBeInstanceOf(ConflictError)
      }
      onlyOneWins(
        await Promise.allSettled([
          a.flags.createEnvironment({ key: 'production', name: 'A' }, 'a'),
          b.flags.createEnvironment({ key: 'production', name: 'B' }, 'b'),
        ]),
      )
      await a.flags.createEnvironment({ key: 'development', name: 'Development' }, 'a')
      onlyOneWins(
        await Promise.allSettled([
          a.flags.createFlag(newFlag('race', { description: 'a' }), 'a'),
          b.flags.createFlag(newFlag('race', { description: 'b' }), 'b'),
        ]),
      )
      expect((await a.flags.listEnvironments()).map((e) => e.version)).toEqual([1, 1])
      expect((await a.flags.getFlag('race')).states).toHaveLength(2)
      const segment = { key: 'staff', userIds: [], conditions: [] }
      onlyOneWins(
        await Promise.allSettled([
          a.segments.put('production', segment, { actor: 'a', create: true }),
          b.segments.put('production', segment, { actor: 'b', create: true }),
        ]),
      )
      expect((await b.flags.getEnvironment('production')).version).toBe(2)
    })

    it('resumes exactly: a snapshot taken during writes plus the changes after it is the final state', async () => {
      const [a, b] = await impl.pair()
      await twoEnvironments(a)
      for (const key of ['f1', 'f2', 'f3']) await a.flags.createFlag(newFlag(key), 'a')
      const writes: Array<Promise<unknown>> = []
      for (let i = 0; i < 24; i++) {
        const s = i % 2 ? a : b
        writes.push(
          s.flags.updateState('production', `f${(i % 3) + 1}`, {
            actor: 'w',
            action: 'x',
            update: (current) => ({ enabled: !current.enabled, cohorts: [cohort('all', i)] }),
          }),
        )
        if (i % 8 === 3)
          writes.push(
            s.segments.put(
              'production',
              { key: `s${i}`, userIds: [`u${i}`], conditions: [] },
              { actor: 'w', create: true },
            ),
          )
        // Visibility flips of a flag that is being updated at the same time (every environment).
        if (i % 6 === 2)
          writes.push(
            s.flags
              .updateFlag('f3', { clientSide: i % 12 === 2 }, 'w')
              // Two flips racing may find the value already set: a refused no-op is fine.
              .catch((error: unknown) => expect(error).toMatchObject({ status: 400 })),
          )
      }
      const midway = await b.snapshot('production')
      await Promise.all(writes)
      const sorted = (snapshot: Snapshot) => ({
        ...snapshot,
        flags: [...snapshot.flags].sort((x, y) => x.key.localeCompare(y.key)),
        segments: [...snapshot.segments].sort((x, y) => x.key.localeCompare(y.key)),
      })
      const resumed = rulesetFromSnapshot(midway)
      const missed = (await a.logs.changesSince('production', midway.version))!
      for (const change of missed) expect(applyChange(resumed, change)).toBe('applied')
      expect(sorted(snapshotOf(resumed))).toEqual(sorted(await a.snapshot('production')))
      // And from the very start, in the other environment too.
      for (const env of ['production', 'development']) {
        const replayed = rulesetFromSnapshot({
          environment: env,
          version: 0,
          flags: [],
          segments: [],
        })
        for (const change of (await b.logs.changesSince(env, 0))!) applyChange(replayed, change)
        expect(sorted(snapshotOf(replayed))).toEqual(sorted(await b.snapshot(env)))
      }
    })

    it('accepts a metrics batch id once across stores however many claim it at once', async () => {
      const [a, b] = await impl.pair()
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).metrics.acceptBatch('production', 'batch-1', 1000),
        ),
      )
      expect(claims.filter(Boolean)).toHaveLength(1)
    })
  })

  describe('change log', () => {
    beforeEach(async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
    })

    const bump = (s: Store, i: number) =>
      s.flags.updateState('production', 'checkout-v2', {
        actor: 'alice',
        action: 'flag.state.update',
        update: () => ({ cohorts: [cohort('all', i % 100)] }),
      })

    it('returns exactly the missed changes in order, up to a bound when given', async () => {
      const made: Change[] = []
      for (let i = 0; i < 5; i++) made.push((await bump(store, i)).committed.change)
      expect(await store.logs.changesSince('production', 3)).toEqual(made.slice(2))
      expect(await store.logs.changesSince('production', 3, 5)).toEqual(made.slice(2, 4))
      expect(await store.logs.changesSince('production', 6)).toEqual([])
      expect(await store.logs.changesSince('production', 0)).toHaveLength(6)
      // An SDK ahead of the environment (another database, a reset) needs a snapshot.
      expect(await store.logs.changesSince('production', 7)).toBeUndefined()
      await expect(store.logs.changesSince('staging', 0)).rejects.toBeInstanceOf(NotFoundError)
    })

    it('keeps the last CHANGE_LOG_KEEP changes: older resumes get undefined (snapshot)', async () => {
      const total = CHANGE_LOG_KEEP + 5
      // A few writers at a time: faster on PostgreSQL, and the order is still the version order.
      let next = 0
      const worker = async () => {
        while (next < total) await bump(store, next++)
      }
      await Promise.all([worker(), worker(), worker(), worker()])
      const current = (await store.flags.getEnvironment('production')).version
      expect(current).toBe(total + 1)
      const kept = (await store.logs.changesSince('production', current - CHANGE_LOG_KEEP))!
      expect(kept).toHaveLength(CHANGE_LOG_KEEP)
      expect(kept.map((c) => c.version)).toEqual(
        Array.from({ length: CHANGE_LOG_KEEP }, (_, i) => current - CHANGE_LOG_KEEP + i + 1),
      )
      expect(await store.logs.changesSince('production', 1)).toBeUndefined()
      expect(await store.logs.changesSince('production', 0)).toBeUndefined()
      // The other environment's log is its own.
      expect(await store.logs.changesSince('development', 0)).toHaveLength(1)
    })
  })

  describe('segments', () => {
    beforeEach(async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
    })

    it('creates, reads, lists, replaces (checking the version) and removes segments', async () => {
      const created = await store.segments.put(
        'production',
        { key: 'staff', description: 'Internal staff', userIds: ['u1', 'u2'], conditions: [] },
        { actor: 'alice', create: true },
      )
      expect(created.segment).toEqual({
        key: 'staff',
        description: 'Internal staff',
        userIds: ['u1', 'u2'],
        conditions: [],
        version: 2,
      })
      expect(created.committed).toEqual({
        environment: 'production',
        change: { type: 'segment', version: 2, segment: created.segment },
      })
      await store.segments.put(
        'production',
        { key: 'beta', userIds: [], conditions: [] },
        { actor: 'alice', create: true },
      )
      expect((await store.segments.list('production')).map((s) => s.key)).toEqual(['beta', 'staff'])
      expect(await store.segments.list('development')).toEqual([])
      expect(await store.segments.get('production', 'staff')).toEqual(created.segment)
      await expect(store.segments.get('development', 'staff')).rejects.toBeInstanceOf(NotFoundError)

      const conditions = [
        { attribute: 'email', operator: 'ends_with' as const, values: ['@example.com'] },
      ]
      const replaced = await store.segments.put(
        'production',
        { key: 'staff', userIds: ['u1'], conditions },
        { actor: 'bob', create: false, expectedVersion: 2 },
      )
      expect(replaced.segment).toMatchObject({
        key: 'staff',
        userIds: ['u1'],
        conditions,
        version: 4,
      })

      const before = await fingerprint(store)
      const stale = store.segments.put(
        'production',
        { key: 'staff', userIds: [], conditions: [] },
        { actor: 'c', create: false, expectedVersion: 2 },
      )
      await expect(stale).rejects.toMatchObject({
        status: 409,
        details: { current: replaced.segment },
      })
      await expect(
        store.segments.put(
          'production',
          { key: 'staff', userIds: [], conditions: [] },
          { actor: 'c', create: true },
        ),
      ).rejects.toBeInstanceOf(ConflictError)
      await expect(
        store.segments.put(
          'production',
          { key: 'nobody', userIds: [], conditions: [] },
          { actor: 'c', create: false },
        ),
      ).rejects.toBeInstanceOf(NotFoundError)
      await expect(store.segments.remove('production', 'nobody', 'c')).rejects.toBeInstanceOf(
        NotFoundError,
      )
      expect(await fingerprint(store)).toEqual(before)

      const removed = await store.segments.remove('production', 'staff', 'alice')
      expect(removed).toEqual({
        environment: 'production',
        change: { type: 'segment_deleted', version: 5, key: 'staff' },
      })
      expect((await store.segments.list('production')).map((s) => s.key)).toEqual(['beta'])
      const actions = (await store.logs.audit({ env: 'production', limit: 4 })).map((a) => a.action)
      expect(actions).toEqual([
        'segment.delete',
        'segment.update',
        'segment.create',
        'segment.create',
      ])
    })

    it('refuses to remove a segment a flag uses, naming the flags, and changes nothing', async () => {
      await store.segments.put(
        'production',
        { key: 'staff', userIds: ['u1'], conditions: [] },
        { actor: 'a', create: true },
      )
      await store.flags.updateState('production', 'checkout-v2', {
        actor: 'a',
        action: 'flag.state.update',
        update: () => ({ cohorts: [cohort('staff', 100, { conditions: [{ segment: 'staff' }] })] }),
      })
      const before = await fingerprint(store)
      await expect(store.segments.remove('production', 'staff', 'a')).rejects.toMatchObject({
        status: 409,
        details: { flags: ['checkout-v2'] },
      })
      expect(await fingerprint(store)).toEqual(before)
    })
  })

  describe('keys', () => {
    beforeEach(() => twoEnvironments())

    it('stores keys hashed, shows the secret once, verifies and revokes them', async () => {
      const admin = await store.keys.create(
        { name: 'ops', kind: 'admin', environment: null },
        'cli',
      )
      const server = await store.keys.create(
        { name: 'api', kind: 'server', environment: 'production' },
        'alice',
      )
      const fixed = await store.keys.create(
        {
          name: 'fixed',
          kind: 'client',
          environment: 'development',
          secret: 'cf_client_fixed-secret-0123456789',
        },
        'alice',
      )
      expect(server.secret).toMatch(/^cf_server_/)
      expect(fixed.secret).toBe('cf_client_fixed-secret-0123456789')
      expect(server.key).toMatchObject({
        name: 'api',
        kind: 'server',
        environment: 'production',
        // A fixed marker, never a part of the secret (issue 25 finding 7).
        prefix: 'cf_server_',
        revokedAt: null,
      })
      expect(admin.key.environment).toBeNull()
      expect(await store.keys.count()).toBe(3)
      const listed = await store.keys.list()
      expect(listed.map((k) => k.name).sort()).toEqual(['api', 'fixed', 'ops'])
      expect(JSON.stringify(listed)).not.toContain(server.secret)

      expect(await store.keys.verify(server.secret)).toEqual(server.key)
      expect(await store.keys.verify(`${server.secret}x`)).toBeUndefined()
      expect(await store.keys.verify('')).toBeUndefined()

      const revoked = await store.keys.revoke(server.key.id, 'alice')
      expect(typeof revoked.revokedAt).toBe('number')
      expect(await store.keys.verify(server.secret)).toBeUndefined()
      expect(await store.keys.verify(admin.secret)).toEqual(admin.key)
      const again = await store.keys.revoke(server.key.id, 'bob')
      expect(again.revokedAt).toBe(revoked.revokedAt)
      await expect(store.keys.revoke('no-such-id', 'bob')).rejects.toBeInstanceOf(NotFoundError)

      const actions = (await store.logs.audit({ env: 'production', limit: 10 })).map(
        (a) => a.action,
      )
      expect(actions).toEqual(['key.revoke', 'key.revoke', 'key.create', 'environment.create'])
    })

    it('lists every key with its secret\'s sha256 for the key index, revoked ones marked', async () => {
      const live = await store.keys.create({ name: 'api', kind: 'server', environment: 'production' }, 'alice')
      const gone = await store.keys.create({ name: 'old', kind: 'client', environment: 'production' }, 'alice')
      const revoked = await store.keys.revoke(gone.key.id, 'alice')
      const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex')
      const entries = (await store.keys.entries()).sort((a, b) => a.key.name.localeCompare(b.key.name))
      expect(entries).toEqual([
        { key: live.key, hash: sha256(live.secret) },
        { key: revoked, hash: sha256(gone.secret) },
      ])
    })

    it('refuses a key for an unknown environment with NotFoundError and stores nothing', async () => {
      const before = await fingerprint(store)
      await expect(
        store.keys.create({ name: 'x', kind: 'server', environment: 'staging' }, 'a'),
      ).rejects.toBeInstanceOf(NotFoundError)
      expect(await fingerprint(store)).toEqual(before)
      expect(await store.keys.count()).toBe(0)
    })
  })

  describe('audit log', () => {
    it('prunes only entries written before the retention cut-off, and says how many', async () => {
      await twoEnvironments()
      const written = await store.logs.audit({ limit: 100 })
      const cutoff = Math.max(...written.map((r) => r.at)) + 1
      await new Promise((resolve) => setTimeout(resolve, 5))
      await store.flags.createFlag(newFlag('later'), 'alice')
      expect(await store.logs.pruneAudit(cutoff)).toBe(written.length)
      const kept = await store.logs.audit({ limit: 100 })
      expect(kept.length).toBeGreaterThan(0)
      expect(kept.every((r) => r.at >= cutoff)).toBe(true)
      expect(await store.logs.pruneAudit(cutoff)).toBe(0)
    })

    it('pages newest first, filtered by flag and environment', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('a'), 'alice')
      await store.flags.createFlag(newFlag('b'), 'alice')
      const all = await store.logs.audit({ limit: 100 })
      expect(all).toHaveLength(8)
      expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((x, y) => y - x))
      expect(all.every((r) => typeof r.at === 'number')).toBe(true)
      const page1 = await store.logs.audit({ limit: 3 })
      const page2 = await store.logs.audit({ limit: 3, before: page1[2]!.id })
      expect([...page1, ...page2]).toEqual(all.slice(0, 6))
      const ofA = await store.logs.audit({ flag: 'a', limit: 100 })
      expect(ofA.map((r) => r.action)).toEqual([
        'flag.state.create',
        'flag.state.create',
        'flag.create',
      ])
      const ofAinProd = await store.logs.audit({ flag: 'a', env: 'production', limit: 100 })
      expect(ofAinProd).toHaveLength(1)
      expect(ofAinProd[0]).toMatchObject({
        actor: 'alice',
        flagKey: 'a',
        envKey: 'production',
        before: null,
        after: { key: 'a', enabled: false },
      })
    })
  })

  describe('metrics', () => {
    const MINUTE = 60_000
    const t0 = 1_700_000_000_000 - (1_700_000_000_000 % MINUTE)

    it('accepts a batch id once per environment and remembers it', async () => {
      expect(await store.metrics.hasBatch('production', 'b1')).toBe(false)
      expect(await store.metrics.acceptBatch('production', 'b1', t0)).toBe(true)
      expect(await store.metrics.acceptBatch('production', 'b1', t0 + 5)).toBe(false)
      expect(await store.metrics.hasBatch('production', 'b1')).toBe(true)
      expect(await store.metrics.hasBatch('development', 'b1')).toBe(false)
      expect(await store.metrics.acceptBatch('development', 'b1', t0)).toBe(true)
    })

    it('adds batches to per-minute aggregates (fractional counts too), reads a series and prunes', async () => {
      await store.metrics.storeBatches(groupOf([]))
      expect(await store.metrics.acceptBatch('production', 'b1', t0 + 1_000)).toBe(true)
      await store.metrics.storeBatches(groupOf([
        {
          envKey: 'production',
          batch: batch('b1', { search: [10, 1, 20, 2] }),
          receivedAt: t0 + 1_000,
        },
        {
          envKey: 'production',
          batch: batch('b2', { search: [5, 0.5, 0, 0], other: [1, 0, 0, 0] }),
          receivedAt: t0 + 2_000,
        },
        {
          envKey: 'production',
          batch: batch('b3', { search: [1, 1, 1, 1] }),
          receivedAt: t0 + MINUTE + 1,
        },
        { envKey: 'development', batch: batch('b4', { search: [7, 7, 7, 7] }), receivedAt: t0 },
      ]))
      // b2..b4 were stored without a claim: their ids are now known too.
      expect(await store.metrics.hasBatch('production', 'b2')).toBe(true)
      expect(await store.metrics.acceptBatch('development', 'b4', t0)).toBe(false)

      const row = (minute: number, counts: LegacyCounts, flagKey = 'search') => ({
        envKey: 'production',
        flagKey,
        minute,
        counts: fromLegacyCounts(counts),
      })
      expect(await store.metrics.series('production', 'search', 0)).toEqual([
        row(t0, [15, 1.5, 20, 2]),
        row(t0 + MINUTE, [1, 1, 1, 1]),
      ])
      expect(await store.metrics.series('production', 'search', t0 + 1)).toEqual([
        row(t0 + MINUTE, [1, 1, 1, 1]),
      ])
      expect(await store.metrics.series('production', 'other', 0)).toEqual([
        row(t0, [1, 0, 0, 0], 'other'),
      ])

      await store.metrics.prune(t0 + MINUTE)
      expect(await store.metrics.series('production', 'search', 0)).toEqual([
        row(t0 + MINUTE, [1, 1, 1, 1]),
      ])
      expect(await store.metrics.hasBatch('production', 'b1')).toBe(false)
      expect(await store.metrics.hasBatch('production', 'b3')).toBe(true)
    })

    it('stores a group of more batch ids than one insert takes, each once, beside ids claimed before', async () => {
      // 300 ids: two full multi-row inserts of the SQLite store and a remainder; one claimed first.
      expect(await store.metrics.acceptBatch('production', 'g-7', t0)).toBe(true)
      const entries = Array.from({ length: 300 }, (_, i) => ({ envKey: 'production', batch: batch(`g-${i}`, { search: [1, 0, 0, 0] }), receivedAt: t0 + i }))
      await store.metrics.storeBatches(groupOf(entries))
      for (const i of [0, 7, 127, 128, 255, 256, 299]) expect(await store.metrics.hasBatch('production', `g-${i}`)).toBe(true)
      expect(await store.metrics.hasBatch('production', 'g-300')).toBe(false)
      expect(await store.metrics.acceptBatch('production', 'g-299', t0)).toBe(false)
      expect((await store.metrics.series('production', 'search', 0))[0]!.counts).toEqual(fromLegacyCounts([300, 0, 0, 0]))
    })
  })

  describe('guard evidence', () => {
    it('keeps the latest evidence per flag, deletes what is removed, and a second store on the file reads it', async () => {
      const [a, b] = await impl.pair()
      await a.evidence.saveEvidence([{ envKey: 'prod', flagKey: 'a', evidence: { n: 1, rows: [[1, 0.5]] } }, { envKey: 'prod', flagKey: 'b', evidence: { n: 1 } }], [])
      await b.evidence.saveEvidence([{ envKey: 'prod', flagKey: 'a', evidence: { n: 2, rows: [[1, 0.5]] } }], [{ envKey: 'prod', flagKey: 'b' }])
      expect(await a.evidence.loadEvidence()).toEqual([{ envKey: 'prod', flagKey: 'a', evidence: { n: 2, rows: [[1, 0.5]] } }])
    })
  })

  describe('webhook secrets', () => {
    it('makes a secret once, rotates with an overlap, and a second store reads the same secrets', async () => {
      const [a, b] = await impl.pair()
      expect(await a.webhookSecrets.signing('prod', 'f', 1000)).toEqual([])
      expect(await a.webhookSecrets.ensure('prod', 'f', 's1', 1000)).toBe(true)
      expect(await b.webhookSecrets.ensure('prod', 'f', 'other', 1000)).toBe(false)
      await b.webhookSecrets.rotate('prod', 'f', 's2', 5000, 2000)
      expect(await a.webhookSecrets.signing('prod', 'f', 4999)).toEqual(['s2', 's1'])
      expect(await a.webhookSecrets.signing('prod', 'f', 5000)).toEqual(['s2'])
      expect(await a.webhookSecrets.signing('prod', 'g', 5000)).toEqual([])
    })
  })

  describe('change requests and protection', () => {
    const cohorts: Cohort[] = [{ name: 'all', conditions: [], rollout: 5 }]
    async function requestOn(s: Store, approvalsRequired = 1) {
      await twoEnvironments(s)
      await s.flags.createFlag({ key: 'f', description: '', tags: [], clientSide: false }, 'alice')
      const base = await s.flags.getState('production', 'f')
      return s.requests.create({
        environment: 'production',
        flag: 'f',
        author: 'alice',
        change: { kind: 'state', cohorts },
        diff: [{ field: 'cohorts', before: [], after: cohorts }],
        baseVersion: base.version,
        approvalsRequired,
        applyAt: null,
        at: 1000,
      })
    }
    const approve = (s: Store, id: number, actor: string) =>
      s.requests.update(id, { actor, action: 'request.approve', at: 2000, decide: (r) => decideApproval(r, actor, 2000) })
    const applyWith = (s: Store, request: ChangeRequest) =>
      s.flags.updateState('production', 'f', {
        actor: request.author,
        action: 'flag.cohorts',
        approval: { request: request.id, author: request.author, approvers: request.approvals.map((a) => a.actor) },
        update: () => ({ cohorts }),
      })

    it('protects and unprotects an environment with an audit row; an unknown environment is NotFoundError', async () => {
      await twoEnvironments()
      expect((await store.flags.getEnvironment('production')).approvals).toBe(0)
      expect(await store.flags.setProtection('production', 2, 'alice')).toMatchObject({ key: 'production', approvals: 2 })
      await store.flags.setProtection('production', 0, 'bob')
      const rows = await store.logs.audit({ env: 'production', limit: 2 })
      expect(rows.map((r) => [r.action, r.actor, r.after])).toEqual([
        ['environment.unprotect', 'bob', { key: 'production', approvals: 0 }],
        ['environment.protect', 'alice', { key: 'production', approvals: 2 }],
      ])
      await expect(store.flags.setProtection('nowhere', 1, 'alice')).rejects.toBeInstanceOf(NotFoundError)
    })

    it('creates, reads, lists with filters and updates requests, each with its audit row', async () => {
      const request = await requestOn(store)
      expect(request).toMatchObject({ id: expect.any(Number), status: 'open', approvals: [], comments: [], author: 'alice', decidedBy: null, appliedVersion: null, createdAt: 1000 })
      expect(await store.requests.get(request.id)).toEqual(request)
      await expect(store.requests.get(request.id + 1000)).rejects.toBeInstanceOf(NotFoundError)
      expect((await store.requests.list({ status: 'open', env: 'production', flag: 'f', limit: 10 })).map((r) => r.id)).toEqual([request.id])
      expect(await store.requests.list({ status: 'applied', limit: 10 })).toEqual([])
      expect(await store.requests.list({ env: 'development', limit: 10 })).toEqual([])
      const approved = await approve(store, request.id, 'bob')
      expect(approved).toMatchObject({ status: 'approved', approvals: [{ actor: 'bob', at: 2000 }], updatedAt: 2000 })
      const [row] = await store.logs.audit({ flag: 'f', limit: 1 })
      expect(row).toMatchObject({ action: 'request.approve', actor: 'bob', before: { status: 'open' }, after: { status: 'approved', approvals: ['bob'] } })
      // A refused transition writes nothing.
      const before = await fingerprint(store)
      await expect(approve(store, request.id, 'bob')).rejects.toBeInstanceOf(ConflictError)
      expect(await fingerprint(store)).toEqual(before)
      const scheduled = await store.requests.update(request.id, { actor: 'bob', action: 'request.schedule', at: 3000, decide: () => ({ applyAt: 5000 }) })
      expect(scheduled.applyAt).toBe(5000)
      expect(await store.requests.due(4999)).toEqual([])
      expect((await store.requests.due(5000)).map((r) => r.id)).toEqual([request.id])
    })

    it('applies a request once: of two stores applying it together, one commits and the other changes nothing', async () => {
      const [a, b] = await impl.pair()
      const request = await approve(a, (await requestOn(a)).id, 'bob')
      const results = await Promise.allSettled([applyWith(a, request), applyWith(b, request)])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
      expect(refused.reason).toBeInstanceOf(ConflictError)
      expect(refused.reason.message).toContain('no longer approved')
      const state = await b.flags.getState('production', 'f')
      expect(state.cohorts).toEqual(cohorts)
      expect(await b.requests.get(request.id)).toMatchObject({ status: 'applied', appliedVersion: state.version })
      const applied = (await b.logs.audit({ flag: 'f', limit: 50 })).filter((r) => r.action === 'flag.cohorts')
      expect(applied).toHaveLength(1)
      expect(applied[0]!.details).toEqual({ approval: { request: request.id, author: 'alice', approvers: ['bob'] } })
    })

    it('refuses to apply a request that is not approved, and writes nothing', async () => {
      const request = await requestOn(store)
      const before = await fingerprint(store)
      await expect(applyWith(store, request)).rejects.toBeInstanceOf(ConflictError)
      expect(await fingerprint(store)).toEqual(before)
      expect((await store.requests.get(request.id)).status).toBe('open')
    })

    it('keeps both of two approvals made together through two stores', async () => {
      const [a, b] = await impl.pair()
      const request = await requestOn(a, 2)
      await Promise.all([approve(a, request.id, 'bob'), approve(b, request.id, 'carol')])
      const after = await a.requests.get(request.id)
      expect(after.approvals.map((x) => x.actor).sort()).toEqual(['bob', 'carol'])
      expect(after.status).toBe('approved')
    })
  })

  describe('snapshot and close', () => {
    it('snapshots an environment: its version, the rules of its flags and its segments', async () => {
      await twoEnvironments()
      await store.flags.createFlag(newFlag('checkout-v2'), 'alice')
      await store.segments.put(
        'production',
        { key: 'staff', userIds: ['u1'], conditions: [] },
        { actor: 'a', create: true },
      )
      const { state } = await store.flags.updateState('production', 'checkout-v2', {
        actor: 'a',
        action: 'x',
        update: () => ({
          enabled: true,
          guard: { maxErrorRate: 0.1 },
          cohorts: [cohort('staff', 100, { conditions: [{ segment: 'staff' }] })],
        }),
      })
      const snapshot = await store.snapshot('production')
      expect(snapshot).toEqual({
        environment: 'production',
        version: 3,
        flags: [
          {
            key: 'checkout-v2',
            enabled: true,
            salt: 'checkout-v2',
            stickiness: 'userId',
            cohorts: state.cohorts,
            version: 3,
            clientSide: false,
          },
        ],
        segments: [await store.segments.get('production', 'staff')],
      })
      expect(await store.snapshot('development')).toMatchObject({ version: 1, segments: [] })
      await expect(store.snapshot('staging')).rejects.toBeInstanceOf(NotFoundError)
    })

    it('closes: afterwards every call rejects', async () => {
      const other = await impl.standalone()
      expect(await other.flags.listEnvironments()).toEqual([])
      await other.close()
      await expect(other.flags.listEnvironments()).rejects.toThrow()
    })
  })
})
