import { randomUUID } from 'node:crypto'
import { and, asc, count, eq, gt, inArray, isNull, lte, ne } from 'drizzle-orm'
import type { Db } from './db.ts'
import type { Ended, PeopleStore, Person, TokenInfo } from './people-contract.ts'
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
} from './people-decisions.ts'
import { recordAudit, type Tx } from './record-change.ts'
import { memberships, people, personalTokens, sessions } from './schema.ts'

type Reader = Db | Tx

function readPeople(db: Reader, ids?: string[]): Person[] {
  const rows = ids
    ? db.select().from(people).where(inArray(people.id, ids)).all()
    : db.select().from(people).orderBy(asc(people.createdAt), asc(people.id)).all()
  const roles = ids
    ? db.select().from(memberships).where(inArray(memberships.personId, ids)).all()
    : db.select().from(memberships).all()
  return rows.map((row) => toPerson(row, roles.filter((m) => m.personId === row.id)))
}

const readPerson = (db: Reader, id: string): Person | undefined => readPeople(db, [id])[0]

/** Global admin people other than `personId` (SQLite writes one transaction at a time: a count is enough). */
const otherAdmins = (tx: Tx, personId: string) =>
  tx.select({ n: count() }).from(people).where(and(eq(people.admin, true), ne(people.id, personId))).get()?.n ?? 0

/** The ids of a person's sessions and live tokens, deleted or revoked by the caller's transaction. */
function credentialIds(tx: Tx, personId: string): Ended {
  return {
    sessions: tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.personId, personId)).all().map((r) => r.id),
    tokens: tx
      .select({ id: personalTokens.id })
      .from(personalTokens)
      .where(and(eq(personalTokens.personId, personId), isNull(personalTokens.revokedAt)))
      .all()
      .map((r) => r.id),
  }
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
function tokenMethods(db: Db): Pick<PeopleStore, 'createToken' | 'token' | 'touchToken' | 'tokens' | 'revokeToken'> {
  return {
    async createToken(input, actor) {
      return db.transaction((tx) => {
        const person = readPerson(tx, input.personId)
        if (!person) throw missingPerson(input.personId)
        const row = tx.insert(personalTokens).values({ id: randomUUID(), ...input }).returning().get()
        const token = toToken(row)
        recordAudit(tx, tokenCreated(token, person.email, actor))
        return token
      })
    },

    async token(hash) {
      const row = db
        .select()
        .from(personalTokens)
        .where(and(eq(personalTokens.hash, hash), isNull(personalTokens.revokedAt)))
        .get()
      if (!row) return undefined
      const person = readPerson(db, row.personId)
      return person && { token: toToken(row), person }
    },

    async touchToken(id, now) {
      db.update(personalTokens).set({ lastUsedAt: now }).where(eq(personalTokens.id, id)).run()
    },

    tokens: async (personId) =>
      db
        .select()
        .from(personalTokens)
        .where(eq(personalTokens.personId, personId))
        .orderBy(asc(personalTokens.createdAt), asc(personalTokens.id))
        .all()
        .map(toToken),

    async revokeToken(personId, id, actor) {
      return db.transaction((tx) => {
        const row = tx
          .select()
          .from(personalTokens)
          .where(and(eq(personalTokens.id, id), eq(personalTokens.personId, personId)))
          .get()
        if (!row) throw missingToken(id)
        const token = toToken(row)
        const revoked = tx
          .update(personalTokens)
          .set({ revokedAt: revokedAt(token, Date.now()) })
          .where(eq(personalTokens.id, id))
          .returning()
          .get()!
        recordAudit(tx, tokenRevoked(token, readPerson(tx, personId)!.email, actor))
        return toToken(revoked)
      })
    },
  }
}

/** People, roles, sessions and personal tokens on SQLite (one process: nothing to announce). */
export function createSqlitePeopleStore(db: Db): PeopleStore {
  return {
    async create(input, actor) {
      const email = normalEmail(input.email)
      return db.transaction((tx) => {
        if (tx.select({ id: people.id }).from(people).where(eq(people.email, email)).get()) throw emailTaken(email)
        const id = randomUUID()
        tx.insert(people).values({ id, email, name: input.name, admin: input.admin, passwordHash: input.passwordHash }).run()
        const rows = membershipRows(id, input.roles)
        if (rows.length) tx.insert(memberships).values(rows).run()
        const person = readPerson(tx, id)!
        recordAudit(tx, personCreated(person, actor))
        return person
      })
    },

    list: async () => readPeople(db),
    count: async () => db.select({ n: count() }).from(people).get()?.n ?? 0,

    async get(id) {
      const person = readPerson(db, id)
      if (!person) throw missingPerson(id)
      return person
    },

    async credentials(email) {
      const row = db.select().from(people).where(eq(people.email, normalEmail(email))).get()
      return row && { person: readPerson(db, row.id)!, passwordHash: row.passwordHash }
    },

    async update(id, patch, actor) {
      return db.transaction((tx) => {
        const before = readPerson(tx, id)
        if (!before) throw missingPerson(id)
        const refusal = patch.admin === false ? lastAdminRefusal(before, 'demote', otherAdmins(tx, id)) : undefined
        if (refusal) throw refusal
        const set = { ...(patch.name !== undefined && { name: patch.name }), ...(patch.admin !== undefined && { admin: patch.admin }) }
        if (Object.keys(set).length) tx.update(people).set({ ...set, updatedAt: Date.now() }).where(eq(people.id, id)).run()
        if (patch.roles) {
          tx.delete(memberships).where(eq(memberships.personId, id)).run()
          const rows = membershipRows(id, patch.roles)
          if (rows.length) tx.insert(memberships).values(rows).run()
        }
        const after = readPerson(tx, id)!
        recordAudit(tx, personUpdated(before, after, actor))
        return { person: after, rightsChanged: rightsDiffer(before, after) ? credentialIds(tx, id) : { sessions: [], tokens: [] } }
      })
    },

    async setPassword(id, passwordHash, actor, options = {}) {
      const keep = options.keepSession
      return db.transaction((tx) => {
        const person = readPerson(tx, id)
        if (!person) throw missingPerson(id)
        tx.update(people).set({ passwordHash, updatedAt: Date.now() }).where(eq(people.id, id)).run()
        const ending = keep === undefined ? eq(sessions.personId, id) : and(eq(sessions.personId, id), ne(sessions.id, keep))
        const ended = { sessions: tx.delete(sessions).where(ending).returning({ id: sessions.id }).all().map((r) => r.id), tokens: [] }
        recordAudit(tx, passwordChanged(person, actor, ended.sessions.length, keep !== undefined))
        return ended
      })
    },

    async remove(id, actor) {
      return db.transaction((tx) => {
        const person = readPerson(tx, id)
        if (!person) throw missingPerson(id)
        const refusal = lastAdminRefusal(person, 'remove', otherAdmins(tx, id))
        if (refusal) throw refusal
        const ended = credentialIds(tx, id)
        tx.delete(people).where(eq(people.id, id)).run() // memberships, sessions and tokens cascade
        recordAudit(tx, personRemoved(person, actor))
        return ended
      })
    },

    async startSession({ personId, hash, expiresAt, now }) {
      const id = randomUUID()
      db.insert(sessions).values({ id, hash, personId, createdAt: now, expiresAt, lastSeenAt: now }).run()
      return id
    },

    async session(hash, now) {
      const row = db.select().from(sessions).where(and(eq(sessions.hash, hash), gt(sessions.expiresAt, now))).get()
      if (!row) return undefined
      const person = readPerson(db, row.personId)
      return person && { id: row.id, person, createdAt: row.createdAt, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt }
    },

    async touchSession(id, now) {
      db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id)).run()
    },

    pruneSessions: async (now) => db.delete(sessions).where(lte(sessions.expiresAt, now)).run().changes,

    async endSession(hash) {
      return db.delete(sessions).where(eq(sessions.hash, hash)).returning({ id: sessions.id }).get()?.id
    },

    ...tokenMethods(db),

    async audit(entry) {
      db.transaction((tx) => recordAudit(tx, entry))
    },
  }
}
