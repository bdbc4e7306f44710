import { randomUUID } from 'node:crypto'
import { and, asc, count, eq, gt, inArray, isNull, lte, ne, sql } from 'drizzle-orm'
import type { Ended, PeopleStore, Person, TokenInfo } from '../people-contract.ts'
import {
  emailTaken,
  lastAdminRefusal,
  membershipRows,
  missingPerson,
  missingToken,
  normalEmail,
  passwordChanged,
  personCreated,
  personRemoved,
  personUpdated,
  rightsDiffer,
  revokedAt,
  tokenCreated,
  tokenRevoked,
  toPerson,
} from '../people-decisions.ts'
import type { PgDb, PgTx } from './db.ts'
import { credentialAnnouncement, KEYS_CHANNEL, rightsAnnouncement } from './key-announcement.ts'
import { recordAudit, uniquely } from './record-change.ts'
import { memberships, people, personalTokens, sessions } from './schema.ts'

type Reader = PgDb | PgTx

async function readPeople(db: Reader, ids?: string[]): Promise<Person[]> {
  const rows = ids
    ? await db.select().from(people).where(inArray(people.id, ids))
    : await db.select().from(people).orderBy(asc(people.createdAt), asc(people.id))
  const roles = ids
    ? await db.select().from(memberships).where(inArray(memberships.personId, ids))
    : await db.select().from(memberships)
  return rows.map((row) => toPerson(row, roles.filter((m) => m.personId === row.id)))
}

const readPerson = async (db: Reader, id: string): Promise<Person | undefined> => (await readPeople(db, [id]))[0]

/** The person locked for update (their credentials change in this transaction), or NotFoundError. */
async function lockPerson(tx: PgTx, id: string): Promise<Person> {
  const [row] = await tx.select({ id: people.id }).from(people).where(eq(people.id, id)).for('update')
  const person = row && (await readPerson(tx, id))
  if (!person) throw missingPerson(id)
  return person
}

/**
 * Global admin people other than `personId`, their rows locked (in id order, so two callers
 * never wait on each other in a cycle) until the transaction ends: two demotions or removals of
 * the last two admins at once cannot both see the other one still there.
 */
async function lockOtherAdmins(tx: PgTx, personId: string): Promise<number> {
  const rows = await tx.select({ id: people.id }).from(people).where(eq(people.admin, true)).orderBy(asc(people.id)).for('update')
  return rows.filter((r) => r.id !== personId).length
}

/**
 * Inside the ending transaction: announces each ended session and token on `canary_keys`, as a
 * key's revocation is. Delivered at commit, so every replica closes their streams and tickets.
 */
async function announce(tx: PgTx, ended: Ended): Promise<void> {
  for (const id of ended.sessions) await tx.execute(sql`select pg_notify(${KEYS_CHANNEL}, ${credentialAnnouncement('session', id)})`)
  for (const id of ended.tokens) await tx.execute(sql`select pg_notify(${KEYS_CHANNEL}, ${credentialAnnouncement('token', id)})`)
}

/** A person's sessions but the one kept (the one a person changing their own password is using). */
const endingSessions = (personId: string, keep: string | undefined) =>
  keep === undefined ? eq(sessions.personId, personId) : and(eq(sessions.personId, personId), ne(sessions.id, keep))

async function credentialIds(tx: PgTx, personId: string): Promise<Ended> {
  const s = await tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.personId, personId))
  const t = await tx
    .select({ id: personalTokens.id })
    .from(personalTokens)
    .where(and(eq(personalTokens.personId, personId), isNull(personalTokens.revokedAt)))
  return { sessions: s.map((r) => r.id), tokens: t.map((r) => r.id) }
}

const toToken = (row: typeof personalTokens.$inferSelect): TokenInfo => ({
  id: row.id,
  personId: row.personId,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
  revokedAt: row.revokedAt,
})

/** Personal tokens: their part of the people store. */
function tokenMethods(db: PgDb): Pick<PeopleStore, 'createToken' | 'token' | 'touchToken' | 'tokens' | 'revokeToken'> {
  return {
    createToken: (input, actor) =>
      db.transaction(async (tx) => {
        const person = await lockPerson(tx, input.personId)
        const [row] = await tx.insert(personalTokens).values({ id: randomUUID(), ...input }).returning()
        const token = toToken(row!)
        await recordAudit(tx, tokenCreated(token, person.email, actor))
        return token
      }),

    async token(hash) {
      const [row] = await db
        .select()
        .from(personalTokens)
        .where(and(eq(personalTokens.hash, hash), isNull(personalTokens.revokedAt)))
      if (!row) return undefined
      const person = await readPerson(db, row.personId)
      return person && { token: toToken(row), person }
    },

    async touchToken(id, now) {
      await db.update(personalTokens).set({ lastUsedAt: now }).where(eq(personalTokens.id, id))
    },

    tokens: async (personId) =>
      (
        await db
          .select()
          .from(personalTokens)
          .where(eq(personalTokens.personId, personId))
          .orderBy(asc(personalTokens.createdAt), asc(personalTokens.id))
      ).map(toToken),

    revokeToken: (personId, id, actor) =>
      db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(personalTokens)
          .where(and(eq(personalTokens.id, id), eq(personalTokens.personId, personId)))
          .for('update')
        if (!row) throw missingToken(id)
        const token = toToken(row)
        const [revoked] = await tx
          .update(personalTokens)
          .set({ revokedAt: revokedAt(token, Date.now()) })
          .where(eq(personalTokens.id, id))
          .returning()
        await recordAudit(tx, tokenRevoked(token, (await readPerson(tx, personId))!.email, actor))
        await announce(tx, { sessions: [], tokens: [id] })
        return toToken(revoked!)
      }),
  }
}

/** People, roles, sessions and personal tokens on PostgreSQL (the same decisions as SQLite's). */
export function createPgPeopleStore(db: PgDb): PeopleStore {
  return {
    async create(input, actor) {
      const email = normalEmail(input.email)
      return uniquely(
        () =>
          db.transaction(async (tx) => {
            const [taken] = await tx.select({ id: people.id }).from(people).where(eq(people.email, email))
            if (taken) throw emailTaken(email)
            const id = randomUUID()
            await tx.insert(people).values({ id, email, name: input.name, admin: input.admin, passwordHash: input.passwordHash })
            const rows = membershipRows(id, input.roles)
            if (rows.length) await tx.insert(memberships).values(rows)
            const person = (await readPerson(tx, id))!
            await recordAudit(tx, personCreated(person, actor))
            return person
          }),
        emailTaken(email).message,
      )
    },

    list: () => readPeople(db),
    async count() {
      const [row] = await db.select({ n: count() }).from(people)
      return row?.n ?? 0
    },

    async get(id) {
      const person = await readPerson(db, id)
      if (!person) throw missingPerson(id)
      return person
    },

    async credentials(email) {
      const [row] = await db.select().from(people).where(eq(people.email, normalEmail(email)))
      return row && { person: (await readPerson(db, row.id))!, passwordHash: row.passwordHash }
    },

    update: (id, patch, actor) =>
      db.transaction(async (tx) => {
        // Admin rows first, then the person: every transaction that takes both takes them in this order.
        const others = patch.admin === false ? await lockOtherAdmins(tx, id) : undefined
        const before = await lockPerson(tx, id)
        const refusal = others === undefined ? undefined : lastAdminRefusal(before, 'demote', others)
        if (refusal) throw refusal
        const set = { ...(patch.name !== undefined && { name: patch.name }), ...(patch.admin !== undefined && { admin: patch.admin }) }
        if (Object.keys(set).length) await tx.update(people).set({ ...set, updatedAt: Date.now() }).where(eq(people.id, id))
        if (patch.roles) {
          await tx.delete(memberships).where(eq(memberships.personId, id))
          const rows = membershipRows(id, patch.roles)
          if (rows.length) await tx.insert(memberships).values(rows)
        }
        const after = (await readPerson(tx, id))!
        await recordAudit(tx, personUpdated(before, after, actor))
        if (!rightsDiffer(before, after)) return { person: after, rightsChanged: { sessions: [], tokens: [] } }
        const affected = await credentialIds(tx, id)
        // At commit, every replica closes the person's console streams so they are authorized again.
        for (const s of affected.sessions) await tx.execute(sql`select pg_notify(${KEYS_CHANNEL}, ${rightsAnnouncement('session', s)})`)
        for (const t of affected.tokens) await tx.execute(sql`select pg_notify(${KEYS_CHANNEL}, ${rightsAnnouncement('token', t)})`)
        return { person: after, rightsChanged: affected }
      }),

    setPassword: (id, passwordHash, actor, options = {}) =>
      db.transaction(async (tx) => {
        const keep = options.keepSession
        const person = await lockPerson(tx, id)
        await tx.update(people).set({ passwordHash, updatedAt: Date.now() }).where(eq(people.id, id))
        const deleted = await tx.delete(sessions).where(endingSessions(id, keep)).returning({ id: sessions.id })
        const ended: Ended = { sessions: deleted.map((r) => r.id), tokens: [] }
        await recordAudit(tx, passwordChanged(person, actor, ended.sessions.length, keep !== undefined))
        await announce(tx, ended)
        return ended
      }),

    remove: (id, actor) =>
      db.transaction(async (tx) => {
        const others = await lockOtherAdmins(tx, id)
        const person = await lockPerson(tx, id)
        const refusal = lastAdminRefusal(person, 'remove', others)
        if (refusal) throw refusal
        const ended = await credentialIds(tx, id)
        await tx.delete(people).where(eq(people.id, id)) // memberships, sessions and tokens cascade
        await recordAudit(tx, personRemoved(person, actor))
        await announce(tx, ended)
        return ended
      }),

    async startSession({ personId, hash, expiresAt, now }) {
      const id = randomUUID()
      await db.insert(sessions).values({ id, hash, personId, createdAt: now, expiresAt, lastSeenAt: now })
      return id
    },

    async session(hash, now) {
      const [row] = await db.select().from(sessions).where(and(eq(sessions.hash, hash), gt(sessions.expiresAt, now)))
      if (!row) return undefined
      const person = await readPerson(db, row.personId)
      return person && { id: row.id, person, createdAt: row.createdAt, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt }
    },

    async touchSession(id, now) {
      await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id))
    },

    pruneSessions: async (now) => (await db.delete(sessions).where(lte(sessions.expiresAt, now)).returning({ id: sessions.id })).length,

    endSession: (hash) =>
      db.transaction(async (tx) => {
        const [row] = await tx.delete(sessions).where(eq(sessions.hash, hash)).returning({ id: sessions.id })
        if (row) await announce(tx, { sessions: [row.id], tokens: [] })
        return row?.id
      }),

    ...tokenMethods(db),

    audit: (entry) => db.transaction((tx) => recordAudit(tx, entry)),
  }
}
