import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { createKeyIndex } from '../../server/auth/key-index.ts'
import { ConflictError, NotFoundError } from '../../server/errors.ts'
import { startChangeFeed, type ChangeFeed } from '../../server/replication/change-feed.ts'
import { createSequencer } from '../../server/replication/sequencer.ts'
import type { Store } from '../../server/store/contract.ts'
import { createPgStore, type PgStore } from '../../server/store/pg/pg-store.ts'
import { createSqliteStore } from '../../server/store/sqlite-store.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'

/**
 * The people part of the store contract (server/store/people-contract.ts), one suite over both
 * dialects: accounts, roles, sessions, tokens, their audit entries, and on PostgreSQL the
 * announcement that makes every replica close an ended session's streams.
 */

const sha = (s: string) => createHash('sha256').update(s).digest('hex')
const secret = () => randomBytes(16).toString('hex')

let database: TestDatabase
let pgMain: PgStore
let sqlite: Store | undefined

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
  pgMain = await createPgStore(database.url)
})
afterAll(async () => {
  await sqlite?.close()
  await pgMain?.close()
  await database?.drop()
})

const implementations: Array<{ name: string; fresh: () => Promise<Store> }> = [
  {
    name: 'sqlite',
    async fresh() {
      await sqlite?.close()
      sqlite = createSqliteStore(':memory:')
      return sqlite
    },
  },
  {
    name: 'postgres',
    async fresh() {
      await pgMain.pool.query('truncate people, memberships, sessions, personal_tokens, audit_log restart identity cascade')
      return pgMain
    },
  },
]

const alice = { email: 'Alice@Example.com', name: 'Alice', admin: false, passwordHash: 'scrypt$x', roles: [{ environment: 'production', role: 'editor' as const }] }

describe.each(implementations)('people store: $name', (impl) => {
  let store: Store
  beforeEach(async () => {
    store = await impl.fresh()
  })

  it('creates a person with a lower-case email and roles, audited without the password hash', async () => {
    const person = await store.people.create(alice, 'admin-key:bootstrap')
    expect(person).toMatchObject({ email: 'alice@example.com', name: 'Alice', admin: false, hasPassword: true, roles: [{ environment: 'production', role: 'editor' }] })
    expect(await store.people.get(person.id)).toEqual(person)
    expect((await store.people.credentials('ALICE@example.com'))?.passwordHash).toBe('scrypt$x')
    const [row] = await store.logs.audit({ limit: 1 })
    expect(row).toMatchObject({ actor: 'admin-key:bootstrap', action: 'person.create' })
    expect(JSON.stringify(row)).not.toContain('scrypt$x')
    expect(await store.people.count()).toBe(1)
  })

  it('refuses a second person with the same email in any case, changing nothing', async () => {
    await store.people.create(alice, 'test')
    const auditBefore = await store.logs.audit({ limit: 100 })
    await expect(store.people.create({ ...alice, email: 'ALICE@example.COM' }, 'test')).rejects.toBeInstanceOf(ConflictError)
    expect(await store.people.count()).toBe(1)
    expect(await store.logs.audit({ limit: 100 })).toEqual(auditBefore)
  })

  it('replaces roles and audits the change as person.roles with before and after, filterable by actor', async () => {
    const p = await store.people.create(alice, 'test')
    const sessionId = await store.people.startSession({ personId: p.id, hash: sha('r'), expiresAt: 9e12, now: 1 })
    const { person: after, rightsChanged } = await store.people.update(p.id, { roles: [{ environment: '*', role: 'viewer' }, { environment: 'staging', role: 'approver' }] }, 'person:root@example.com')
    expect(after.roles).toEqual([{ environment: '*', role: 'viewer' }, { environment: 'staging', role: 'approver' }])
    expect(rightsChanged).toEqual({ sessions: [sessionId], tokens: [] })
    // The session stays valid: rights are read per request.
    expect(await store.people.session(sha('r'), 2)).toBeDefined()
    const rows = await store.logs.audit({ actor: 'person:root@example.com', limit: 10 })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ action: 'person.roles', before: { roles: [{ environment: 'production', role: 'editor' }] } })
    const renamed = await store.people.update(p.id, { name: 'Alice B.' }, 'test')
    expect(renamed.person.name).toBe('Alice B.')
    expect(renamed.rightsChanged).toEqual({ sessions: [], tokens: [] })
    expect((await store.logs.audit({ limit: 1 }))[0]!.action).toBe('person.update')
    await expect(store.people.update('nobody', { name: 'x' }, 'test')).rejects.toBeInstanceOf(NotFoundError)
  })

  it('finds a live session by its hash, never an expired or ended one', async () => {
    const p = await store.people.create(alice, 'test')
    const s1 = secret()
    const id = await store.people.startSession({ personId: p.id, hash: sha(s1), expiresAt: 2_000, now: 1_000 })
    expect((await store.people.session(sha(s1), 1_500))?.person.email).toBe('alice@example.com')
    expect(await store.people.session(sha(s1), 2_000)).toBeUndefined()
    expect(await store.people.session(sha('other'), 1_500)).toBeUndefined()
    await store.people.touchSession(id, 1_700)
    expect((await store.people.session(sha(s1), 1_800))?.lastSeenAt).toBe(1_700)
    expect(await store.people.pruneSessions(1_999)).toBe(0)
    expect(await store.people.endSession(sha(s1))).toBe(id)
    expect(await store.people.session(sha(s1), 1_500)).toBeUndefined()
    expect(await store.people.endSession(sha(s1))).toBeUndefined()
    await store.people.startSession({ personId: p.id, hash: sha('old'), expiresAt: 3_000, now: 1_000 })
    await store.people.startSession({ personId: p.id, hash: sha('new'), expiresAt: 5_000, now: 1_000 })
    expect(await store.people.pruneSessions(3_000)).toBe(1)
    expect(await store.people.session(sha('new'), 4_000)).toBeDefined()
  })

  it('a password change ends every session of the person and answers their ids', async () => {
    const p = await store.people.create(alice, 'test')
    const other = await store.people.create({ ...alice, email: 'bob@example.com' }, 'test')
    const ids = [
      await store.people.startSession({ personId: p.id, hash: sha('a'), expiresAt: 9e12, now: 1 }),
      await store.people.startSession({ personId: p.id, hash: sha('b'), expiresAt: 9e12, now: 1 }),
    ]
    await store.people.startSession({ personId: other.id, hash: sha('c'), expiresAt: 9e12, now: 1 })
    const ended = await store.people.setPassword(p.id, 'scrypt$new', 'test')
    expect(ended.sessions.sort()).toEqual(ids.sort())
    expect(await store.people.session(sha('a'), 2)).toBeUndefined()
    expect(await store.people.session(sha('c'), 2)).toBeDefined()
    expect((await store.people.credentials(p.email))?.passwordHash).toBe('scrypt$new')
  })

  it('a password change can keep the session that asked for it (a person changing their own)', async () => {
    const p = await store.people.create(alice, 'test')
    const kept = await store.people.startSession({ personId: p.id, hash: sha('kept'), expiresAt: 9e12, now: 1 })
    const other = await store.people.startSession({ personId: p.id, hash: sha('other'), expiresAt: 9e12, now: 1 })
    const ended = await store.people.setPassword(p.id, 'scrypt$mine', 'person:alice@example.com', { keepSession: kept })
    expect(ended).toEqual({ sessions: [other], tokens: [] })
    expect((await store.people.session(sha('kept'), 2))?.id).toBe(kept)
    expect(await store.people.session(sha('other'), 2)).toBeUndefined()
    expect((await store.logs.audit({ limit: 1 }))[0]).toMatchObject({ action: 'person.password', details: { endedSessions: 1, keptOwnSession: true } })
  })

  it('refuses removing or demoting the last global admin person with a 409 that says why, changing nothing', async () => {
    const root = await store.people.create({ ...alice, email: 'root@example.com', admin: true }, 'test')
    const sessionId = await store.people.startSession({ personId: root.id, hash: sha('root'), expiresAt: 9e12, now: 1 })
    const auditBefore = await store.logs.audit({ limit: 100 })
    const demote = store.people.update(root.id, { admin: false }, 'test')
    await expect(demote).rejects.toBeInstanceOf(ConflictError)
    await expect(demote).rejects.toThrow(/root@example.com is the last global admin: taking their global admin flag would leave nobody to manage members/)
    await expect(store.people.remove(root.id, 'test')).rejects.toThrow(/last global admin: removing them/)
    expect((await store.people.get(root.id)).admin).toBe(true)
    expect((await store.people.session(sha('root'), 2))?.id).toBe(sessionId)
    expect(await store.logs.audit({ limit: 100 })).toEqual(auditBefore)
    // Other changes to the last admin are fine (name, roles, admin: true again).
    expect((await store.people.update(root.id, { name: 'Root', admin: true }, 'test')).person.name).toBe('Root')
    // With a second global admin, either may go.
    const second = await store.people.create({ ...alice, email: 'second@example.com', admin: true }, 'test')
    expect((await store.people.update(root.id, { admin: false }, 'test')).person.admin).toBe(false)
    await expect(store.people.remove(second.id, 'test')).rejects.toBeInstanceOf(ConflictError)
    await store.people.remove(root.id, 'test')
    expect((await store.people.list()).map((p) => p.email)).toEqual(['second@example.com'])
  })

  it('tokens: live by hash until revoked; another person cannot revoke them; last use recorded', async () => {
    const p = await store.people.create(alice, 'test')
    const other = await store.people.create({ ...alice, email: 'bob@example.com' }, 'test')
    const token = await store.people.createToken({ personId: p.id, name: 'ci', hash: sha('cfp_1'), prefix: 'cfp_' }, 'person:alice@example.com')
    expect((await store.people.token(sha('cfp_1')))?.person.id).toBe(p.id)
    await store.people.touchToken(token.id, 1234)
    expect((await store.people.tokens(p.id))[0]!.lastUsedAt).toBe(1234)
    await expect(store.people.revokeToken(other.id, token.id, 'test')).rejects.toBeInstanceOf(NotFoundError)
    const revoked = await store.people.revokeToken(p.id, token.id, 'test')
    expect(revoked.revokedAt).not.toBeNull()
    expect(await store.people.token(sha('cfp_1'))).toBeUndefined()
    expect((await store.people.revokeToken(p.id, token.id, 'test')).revokedAt).toBe(revoked.revokedAt)
    const actions = (await store.logs.audit({ limit: 10 })).map((r) => r.action)
    expect(actions).toContain('token.create')
    expect(JSON.stringify(await store.logs.audit({ limit: 10 }))).not.toContain(sha('cfp_1'))
  })

  it('removal deletes the person, their roles, sessions and tokens, and answers what ended', async () => {
    const p = await store.people.create(alice, 'test')
    const sessionId = await store.people.startSession({ personId: p.id, hash: sha('s'), expiresAt: 9e12, now: 1 })
    const token = await store.people.createToken({ personId: p.id, name: 'ci', hash: sha('t'), prefix: 'cfp_' }, 'test')
    const ended = await store.people.remove(p.id, 'test')
    expect(ended).toEqual({ sessions: [sessionId], tokens: [token.id] })
    expect(await store.people.session(sha('s'), 2)).toBeUndefined()
    expect(await store.people.token(sha('t'))).toBeUndefined()
    await expect(store.people.get(p.id)).rejects.toBeInstanceOf(NotFoundError)
    expect((await store.logs.audit({ limit: 1 }))[0]).toMatchObject({ action: 'person.remove', before: { email: 'alice@example.com' } })
  })
})

describe('on PostgreSQL, ended sessions and tokens are announced to every replica', () => {
  let replica: PgStore
  let feed: ChangeFeed
  const revoked = new Set<string>()
  const rightsChanged = new Set<string>()
  beforeAll(async () => {
    replica = await createPgStore(database.url)
    const keys = createKeyIndex({ store: replica.keys, log: () => {} })
    const candidates = () => ['session', 'token'].flatMap((k) => [...pending].map((p) => `${k}:${p}`))
    keys.onRevoked((isRevoked) => {
      for (const id of candidates()) if (isRevoked(id)) revoked.add(id)
    })
    keys.onRightsChanged((isAffected) => {
      for (const id of candidates()) if (isAffected(id)) rightsChanged.add(id)
    })
    const sequencer = createSequencer({
      publish: () => {},
      changesSince: (env, after) => replica.logs.changesSince(env, after),
      currentVersion: async (env) => (await replica.flags.getEnvironment(env)).version,
      resync: () => {},
      log: () => {},
    })
    feed = await startChangeFeed({ databaseUrl: database.url, store: replica, sequencer, keys, log: () => {}, checkMs: 60_000, maxBackoffMs: 200 })
  })
  afterAll(async () => {
    await feed?.close()
    await replica?.close()
  })
  const pending = new Set<string>()

  it('two replicas demoting and removing the last two global admins at once: exactly one change passes, one admin stays', async () => {
    await pgMain.pool.query('truncate people, memberships, sessions, personal_tokens restart identity cascade')
    const a = await pgMain.people.create({ ...alice, email: 'a@example.com', admin: true }, 'test')
    const b = await pgMain.people.create({ ...alice, email: 'b@example.com', admin: true }, 'test')
    const results = await Promise.allSettled([pgMain.people.update(a.id, { admin: false }, 'test'), replica.people.remove(b.id, 'test')])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused?.reason).toBeInstanceOf(ConflictError)
    expect((await pgMain.people.list()).filter((p) => p.admin)).toHaveLength(1)
  })

  it('a role change, then a removal, on one replica is heard by the other as the ids of the sessions and tokens concerned', async () => {
    await pgMain.pool.query('truncate people, memberships, sessions, personal_tokens restart identity cascade')
    const p = await pgMain.people.create(alice, 'test')
    const sessionId = await pgMain.people.startSession({ personId: p.id, hash: sha('s'), expiresAt: 9e12, now: 1 })
    const token = await pgMain.people.createToken({ personId: p.id, name: 'ci', hash: sha('t'), prefix: 'cfp_' }, 'test')
    pending.add(sessionId).add(token.id)
    await pgMain.people.update(p.id, { roles: [{ environment: 'production', role: 'viewer' }] }, 'test')
    await vi.waitFor(() => expect([...rightsChanged].sort()).toEqual([`session:${sessionId}`, `token:${token.id}`].sort()), { timeout: 10_000 })
    expect(revoked.size).toBe(0) // a role change revokes nothing
    await pgMain.people.remove(p.id, 'test')
    await vi.waitFor(() => expect([...revoked].sort()).toEqual([`session:${sessionId}`, `token:${token.id}`].sort()), { timeout: 10_000 })
  })
})
