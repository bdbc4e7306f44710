/**
 * People-removal benchmark (issue 28: "removal of the user ends the session on every replica …
 * the bench reports how long it takes"). Two `canary serve` processes (the built `dist/`) on one
 * PostgreSQL; N people, each signed in with a password on replica B, holding a session cookie and
 * the console's stream there. Each person's session is ended through replica A, one at a time,
 * three ways in turn (the same people, signed in again before each): sign-out (the person's
 * `DELETE /api/v1/session` on A), a password change (an admin's `PATCH /api/v1/members/{id}` on
 * A) and removal (`DELETE /api/v1/members/{id}` on A). Measured from A's 2xx answer reaching this
 * process: (a) B closing that person's stream (close code 4401, announced on `canary_keys`),
 * (b) B answering 401 to the cookie over HTTP (asked again as soon as each answer arrives).
 * Prints a markdown table and writes bench/results/latest-people-removal.json.
 *
 * Run: npm run build && npm run bench -- people-removal   (or: npx tsx bench/people-removal/main.ts [people = 50])
 * `TEST_DATABASE_URL` names a PostgreSQL to use instead of a local embedded one (durable settings).
 *
 * Why an earlier draft hung starting the replicas: it waited for the `admin key:` line. On
 * PostgreSQL only the replica that creates the first admin key prints one (the others find keys
 * already there), and with `CANARY_ADMIN_KEY` set none does. The replicas here are started as
 * bench/replicas does: a fixed `CANARY_ADMIN_KEY`, waiting for `listening on` only, and with a
 * start deadline so a server that never says it listens fails the run with its output.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLOSE_REVOKED } from '../../sdk/core/protocol.ts'
import { createTestDatabase, startEmbeddedPostgres } from '../../test/helpers/postgres.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { adminApi, startServerProcess } from '../lib/server-process.ts'
import { quantile } from '../lib/stats.ts'
import { openConsoleStream, refusal, sessionStatus, signIn, signOut, type SignedIn } from './session.ts'

const ADMIN = 'bench-people-removal-admin-key-0123456789'
const PEOPLE = Number(process.argv[2] ?? 50)
/** One more person per way, first in line, whose figures are not counted (JIT warm-up on every side). */
const WARMUP = 1
const ENVIRONMENT = 'production'
/** A session still accepted, or a stream still open, this long after A answered fails the run. */
const DEADLINE_MS = 10_000
/** Sign-ins at once while setting up (each is a scrypt check on B's thread pool of 4). */
const SETUP_CONCURRENCY = 4

interface Person {
  id: string
  email: string
  password: string
}

/** How a session is ended through replica A: the call, and the 2xx it must answer. */
interface Way {
  name: string
  end: (person: Person, session: SignedIn) => Promise<Response>
}

interface Figures {
  way: string
  closed: number[]
  refused: number[]
  /** The same, from the call being sent to A (an upper bound that is never negative). */
  closedFromSent: number[]
  refusedFromSent: number[]
  /** Ends after which B took more than one request to refuse the cookie. */
  refusedLate: number
  /** Ends whose stream close B delivered before A's answer reached this process. */
  closedFirst: number
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))))
  return out
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${DEADLINE_MS} ms`)), DEADLINE_MS)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** Every person signs in on B and opens the console's stream there; checked live before any end. */
async function signInAll(b: string, people: Person[]): Promise<SignedIn[]> {
  return inBatches(people, SETUP_CONCURRENCY, async (p) => {
    const session = await openConsoleStream(b, await signIn(b, p.email, p.password), ENVIRONMENT)
    const status = await sessionStatus(b, session.cookie)
    if (status !== 200) throw new Error(`${p.email}: a fresh session answered ${status} on ${b}`)
    return session
  })
}

/** Ends each person's session on B through A, one at a time, and times what B does about it. */
async function measureWay(way: Way, b: string, people: Person[]): Promise<Figures> {
  const sessions = await signInAll(b, people)
  const figures: Figures = { way: way.name, closed: [], refused: [], closedFromSent: [], refusedFromSent: [], refusedLate: 0, closedFirst: 0 }
  for (const [i, person] of people.entries()) {
    const session = sessions[i]!
    const sent = performance.now()
    const res = await way.end(person, session)
    const answered = performance.now()
    if (!res.ok) throw new Error(`${way.name} of ${person.email} on replica A: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
    const [closed, refused] = await Promise.all([
      withDeadline(session.closed, `${way.name}: ${person.email}'s stream on B`),
      refusal(b, session.cookie, DEADLINE_MS),
    ])
    if (closed.code !== CLOSE_REVOKED) throw new Error(`${way.name}: B closed ${person.email}'s stream with ${closed.code}, expected ${CLOSE_REVOKED}`)
    if (i < WARMUP) continue
    figures.closed.push(closed.at - answered)
    figures.refused.push(refused.at - answered)
    figures.closedFromSent.push(closed.at - sent)
    figures.refusedFromSent.push(refused.at - sent)
    if (refused.requests > 1) figures.refusedLate++
    if (closed.at < answered) figures.closedFirst++
  }
  return figures
}

const round = (ms: number) => Math.round(ms * 100) / 100
const summary = (samples: number[]) => ({
  median: round(quantile(samples, 0.5)),
  p95: round(quantile(samples, 0.95)),
  max: round(Math.max(...samples)),
  min: round(Math.min(...samples)),
})

function table(all: Figures[]): string {
  const lines = [
    `| ended through replica A (${PEOPLE} people, one at a time) | on replica B | after A's 2xx: median ms | p95 ms | max ms | min ms | after the call was sent: median ms | max ms |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const f of all)
    for (const [what, samples, fromSent] of [
      ['console stream closed (4401)', f.closed, f.closedFromSent],
      ['session cookie refused (401)', f.refused, f.refusedFromSent],
    ] as const) {
      const s = summary(samples)
      const t = summary(fromSent)
      lines.push(`| ${f.way} | ${what} | ${s.median} | ${s.p95} | ${s.max} | ${s.min} | ${t.median} | ${t.max} |`)
    }
  const notes = all.map(
    (f) =>
      `${f.way}: B closed the stream before A's answer arrived in ${f.closedFirst} of ${PEOPLE} (negative figures); ` +
      `B refused the cookie at the first request after A's answer in ${PEOPLE - f.refusedLate} of ${PEOPLE}.`,
  )
  return [...lines, '', ...notes].join('\n')
}

/** N + warm-up viewers of the environment, created through A with the admin key. */
function createPeople(aUrl: string): Promise<Person[]> {
  const api = adminApi(aUrl, ADMIN)
  return inBatches(
    Array.from({ length: PEOPLE + WARMUP }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const email = `person-${i}@example.com`
      const password = `first passphrase ${i} of the bench`
      const body = { email, name: `Person ${i}`, password, roles: [{ environment: ENVIRONMENT, role: 'viewer' }] }
      const created = (await api('POST', '/api/v1/members', body)) as { id: string }
      return { id: created.id, email, password }
    },
  )
}

/** The three ways a session ends, each through replica A. */
function waysThrough(aUrl: string): Way[] {
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(aUrl + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  return [
    { name: 'sign-out (the person, on A)', end: (_, session) => signOut(aUrl, session.cookie) },
    {
      name: 'password change (an admin, on A)',
      end: (person) => {
        // The next way signs in with the new password.
        person.password = `second passphrase of ${person.email}`
        return admin('PATCH', `/api/v1/members/${person.id}`, { password: person.password })
      },
    },
    { name: 'removal (an admin, on A)', end: (person) => admin('DELETE', `/api/v1/members/${person.id}`) },
  ]
}

function resultRows(all: Figures[]): BenchRow[] {
  return all.flatMap((f) =>
    (['closed', 'refused'] as const).flatMap((kind) => {
      const s = summary(f[kind])
      const what = kind === 'closed' ? 'stream closed on B' : 'cookie refused on B'
      return [
        { label: `${f.way}: ${what}, median`, value: s.median, unit: 'ms', samples: f[kind].map(round) },
        { label: `${f.way}: ${what}, p95`, value: s.p95, unit: 'ms' },
        { label: `${f.way}: ${what}, max`, value: s.max, unit: 'ms' },
      ]
    }),
  )
}

const pgServer = process.env.TEST_DATABASE_URL ? undefined : await startEmbeddedPostgres({ durable: true })
const database = await createTestDatabase(process.env.TEST_DATABASE_URL ?? pgServer!.url)
const servers: ChildProcess[] = []
try {
  const db = join(mkdtempSync(join(tmpdir(), 'cf-bench-people-removal-')), 'unused.sqlite')
  const env = {
    DATABASE_URL: database.url,
    LOG_LEVEL: 'warn',
    // The bench's own refusals all come from 127.0.0.1 (every poll after an end is a 401) and its
    // setup writes people quickly with one key: the per-address and per-key limits would answer
    // 429 to the bench, which is not what is measured.
    CANARY_AUTH_FAILURES_PER_MINUTE: '1000000',
    CANARY_WRITES_PER_KEY_PER_SECOND: '10000',
  }
  // A first (it migrates and bootstraps), then B, as production starts replicas.
  const a = await startServerProcess(ADMIN, { db, env, startDeadlineMs: 60_000 })
  servers.push(a.process)
  const b = await startServerProcess(ADMIN, { db, env, startDeadlineMs: 60_000 })
  servers.push(b.process)
  const people = await createPeople(a.url)
  const all: Figures[] = []
  for (const way of waysThrough(a.url)) {
    all.push(await measureWay(way, b.url, people))
    const s = summary(all.at(-1)!.closed)
    process.stderr.write(`${way.name}: stream closed on B median ${s.median} ms, p95 ${s.p95} ms, max ${s.max} ms\n`)
  }
  console.log(table(all))
  writeResult({
    name: 'people-removal',
    title: `People: a session ended through replica A → replica B closes its stream and refuses its cookie (${PEOPLE} people, PostgreSQL)`,
    date: new Date().toISOString(),
    ok: true,
    rows: resultRows(all),
  })
} finally {
  for (const child of servers) child.kill()
  await database.drop().catch((error: unknown) => process.stderr.write(`dropping the bench database: ${String(error)}\n`))
  await pgServer?.stop()
}
