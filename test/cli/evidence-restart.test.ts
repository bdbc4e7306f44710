import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromLegacyCounts, type LegacyCounts } from '../../sdk/core/metrics.ts'
import { sharedEvidenceJson } from '../../server/domain/evidence-json.ts'
import { FlagEvidence, type EvidenceSnapshot } from '../../server/guard/decide.ts'
import { call, startServerProcess, type ServerProcess } from './server-process.ts'

/**
 * The embedded default keeps the guard's evidence across `kill -9`: a guarded canary near its
 * limit, with a plan step running, fed through the real metrics endpoint by a server key, is
 * killed and restarted five times. Each time, the figures after the restart are those saved
 * before the kill, or those plus the one batch sent just before it (the last ~2 s): never an
 * earlier statistic lost, and a resend of that batch is never counted twice.
 */

const SLOW = 180_000
const FLAG = 'checkout-v2'
const PROD = `/api/v1/environments/production/flags/${FLAG}`
const GUARD = { maxErrorRate: 0.05, maxRatioToControl: 2 }
/** One batch: a canary at 4.8% against its 5% limit, control at 4%. */
const BATCH: LegacyCounts = [2000, 96, 18_000, 720]

let dir: string
let db: string
const servers: ServerProcess[] = []

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'canary-evidence-'))
  db = join(dir, 'canary.db')
})
afterAll(async () => {
  for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.exited))
  rmSync(dir, { recursive: true, force: true })
})

const until = async <T>(what: string, read: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The flag's saved evidence, read from the SQLite file itself (another connection, as after a crash). */
function savedEvidence(): EvidenceSnapshot | undefined {
  const sqlite = new Database(db, { readonly: true, fileMustExist: true })
  try {
    const row = sqlite.prepare('select evidence from guard_evidence where env_key = ? and flag_key = ?').get('production', FLAG) as
      | { evidence: string }
      | undefined
    return row ? sharedEvidenceJson.parse(JSON.parse(row.evidence)).evidence : undefined
  } finally {
    sqlite.close()
  }
}

let batchNo = 0
const sendBatch = (server: ServerProcess, key: string, id = `b-${++batchNo}`) =>
  call(server.url, key, 'POST', '/api/v1/metrics', { batch: { id, start: Date.now() - 5000, end: Date.now(), flags: { [FLAG]: BATCH } } })

/** What a restart must keep: every statistic of every test, the counts, and the plan step's test. */
const kept = (view: any) => ({
  since: view.decision.figures.since,
  seconds: view.decision.figures.seconds,
  figures: view.decision.figures,
  plan: view.plan,
})

/** The figures the tests would show after feeding `batches` more seconds of BATCH to `saved`. */
function figuresAfter(saved: EvidenceSnapshot, batches: number) {
  const evidence = new FlagEvidence(GUARD, 0, saved)
  for (let i = 0; i < batches; i++) {
    evidence.add(fromLegacyCounts(BATCH))
    evidence.tick(0)
  }
  return { figures: evidence.figures(), plan: evidence.planFigures() }
}

describe('guard evidence across kill -9 (embedded SQLite, real `canary serve`)', () => {
  it('resumes every test where it was saved, five restarts in a row, losing at most the last batch', { timeout: SLOW }, async () => {
    let server = await startServerProcess(db, { newDatabase: true })
    servers.push(server)
    const admin = server.adminKey!
    expect((await call(server.url, admin, 'POST', '/api/v1/flags', { key: FLAG })).status).toBe(201)
    const cohorts = [{ name: 'canary', conditions: [], rollout: 10 }]
    expect((await call(server.url, admin, 'PATCH', PROD, { enabled: true, cohorts })).status).toBe(200)
    expect((await call(server.url, admin, 'PUT', `${PROD}/guard`, GUARD)).status).toBe(200)
    // A plan whose next step is far off: its step's below-the-limit test runs throughout.
    expect((await call(server.url, admin, 'PUT', `${PROD}/plan`, { cohort: 'canary', steps: [10, 50, 100], intervalSeconds: 3600 })).status).toBe(200)
    const key = (await call(server.url, admin, 'POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })).json.secret as string

    let fed = 0
    const lost: number[] = []
    const lastBatch: string[] = []
    for (let round = 1; round <= 5; round++) {
      // Seconds of evidence, then wait until the save holds all of it (the file, read by another connection).
      for (let i = 0; i < 3; i++) {
        expect((await sendBatch(server, key)).status).toBe(200)
        fed += BATCH[0]
        // Each batch is taken by its own tick: the tests see several seconds.
        await until('the tick to take the batch', async () => {
          const view = (await call(server.url, admin, 'GET', `${PROD}/guard`)).json
          return view.decision?.figures.canaryExposures === fed ? true : undefined
        })
      }
      const saved = await until('the save to hold every count fed', () => {
        const e = savedEvidence()
        return e && e.totals.canaryExposures === fed && !e.pending ? e : undefined
      })
      const before = (await call(server.url, admin, 'GET', `${PROD}/guard`)).json
      // The saved evidence is what the API shows (the decision module reads it back the same).
      expect(kept(before)).toEqual(kept({ decision: { figures: figuresAfter(saved, 0).figures }, plan: figuresAfter(saved, 0).plan }))
      const fineBefore = (await call(server.url, admin, 'GET', `${PROD}/metrics?span=15m`)).json.fine.rows

      // The last batch, then kill -9 at once: it may or may not have reached the save.
      const last = `b-${++batchNo}`
      expect((await sendBatch(server, key, last)).status).toBe(200)
      server.child.kill('SIGKILL')
      await server.exited

      server = await startServerProcess(db)
      servers.push(server)
      const after = (await call(server.url, admin, 'GET', `${PROD}/guard`)).json
      expect(after.status).not.toBe('tripped')
      // Either exactly the saved tests, or the saved tests plus the last batch's second: nothing earlier moved.
      const withLast = figuresAfter(saved, 1)
      const candidates = [kept(before), kept({ decision: { figures: withLast.figures }, plan: withLast.plan })]
      expect(candidates).toContainEqual(kept(after))
      const fineAfter = (await call(server.url, admin, 'GET', `${PROD}/metrics?span=15m`)).json.fine.rows
      if (after.decision.figures.seconds === before.decision.figures.seconds) expect(fineAfter).toEqual(fineBefore)

      // The SDK resends the last batch (it may not have heard the answer): counted once, or never if it was lost.
      const resend = await sendBatch(server, key, last)
      expect(resend.status).toBe(200)
      const arrived = after.decision.figures.canaryExposures === fed + BATCH[0]
      // A batch whose counts survived is known by its id; one that is taken now was not counted before.
      if (arrived) expect(resend.json.duplicate).toBe(true)
      const total = await until('the resend to be fed and saved', async () => {
        const view = (await call(server.url, admin, 'GET', `${PROD}/guard`)).json
        const n = view.decision.figures.canaryExposures as number
        const e = savedEvidence()
        const settled = resend.json.duplicate ? n === fed || n === fed + BATCH[0] : n === fed + BATCH[0]
        return settled && e?.totals.canaryExposures === n && !e.pending ? n : undefined
      })
      expect([fed, fed + BATCH[0]]).toContain(total)
      lost.push(fed + BATCH[0] - total)
      lastBatch.push(arrived ? 'kept' : resend.json.duplicate ? 'lost' : 'resent')
      fed = total
    }
    // Measured: exposures lost per kill (each at most the one batch sent just before it).
    console.log(`last batch before each kill -9: ${lastBatch.join(', ')}; canary exposures lost: ${lost.join(', ')} (of ${fed})`)
    for (const n of lost) expect(n).toBeLessThanOrEqual(BATCH[0])
    expect(fed).toBeGreaterThanOrEqual(5 * 3 * BATCH[0])
  })
})
