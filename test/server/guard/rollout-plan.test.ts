import { fromLegacyCounts } from '../../../sdk/core/metrics.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let s: Stack
let clock: number
let dbPath: string
let batchNo = 0
const PROD = '/api/v1/environments/production/flags/checkout-v2'

beforeEach(async () => {
  clock = 1_800_000_000_000
  dbPath = join(mkdtempSync(join(tmpdir(), 'cf-plan-')), 'db.sqlite')
  s = await makeStack({ now: () => clock, databasePath: dbPath })
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  await s.call('PATCH', PROD, { body: { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 0 }] } })
  await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, minExposures: 200 } })
})
afterEach(() => s.close())

const rollout = async () => (await s.call('GET', PROD)).json.cohorts[0].rollout
const plan = async () => (await s.call('GET', PROD)).json.plan
async function traffic(counts: [number, number, number, number]) {
  await s.guard.ingest('production', { id: `p-${++batchNo}`, start: clock - 1000, end: clock, flags: { 'checkout-v2': fromLegacyCounts(counts) } }, 'server')
}
/** Moves the clock by `ms` in 5 s steps (one batch and one guard second each), ticking plans. */
async function pass(ms: number, counts?: [number, number, number, number]) {
  const step = 5000
  for (let t = 0; t < ms; t += step) {
    clock += step
    if (counts) await traffic(counts)
    await s.guard.tick()
    await s.planner.tick()
  }
}

describe('rollout plans', () => {
  it('advances 1 → 5 → 25 while healthy, one audited step per interval by actor rollout-plan', async () => {
    const started = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    expect(started.status).toBe(200)
    // From 0% there is no canary to measure: the first step is the start, and the audit says why.
    expect(await rollout()).toBe(1)
    expect((await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0].details).toMatchObject({ rollout: 1, widenedAtStart: expect.stringContaining('0%') })
    await pass(55_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(1) // interval not over yet
    await pass(10_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    await pass(60_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(25)
    expect(await plan()).toMatchObject({ status: 'completed', step: 2, nextAt: null })
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=2')).json.items
    expect(audit.map((a: any) => [a.actor, a.action, a.details.rollout])).toEqual([
      ['rollout-plan', 'plan.step', 25],
      ['rollout-plan', 'plan.step', 5],
    ])
  })

  it('waits for evidence, says so with the figures, then holds after the maximum wait and calls the webhook', async () => {
    const hooks: unknown[] = []
    const hook = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        hooks.push(JSON.parse(body))
        res.end('ok')
      })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl } })
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60, maxWaitSeconds: 120 } })
    // 4% errors against a 5% limit: never shown below the limit on this little traffic.
    await pass(120_000, [25, 1, 225, 9])
    expect(await rollout()).toBe(1)
    const waiting = (await s.call('GET', `${PROD}/guard`)).json.planProgress
    expect(waiting).toMatchObject({ waitingForEvidence: true, evidence: { step: 0, proven: false, canaryErrors: 24 } })
    expect(waiting.holdsAt).toBe(1_800_000_000_000 + 60_000 + 120_000)
    await pass(65_000, [25, 1, 225, 9])
    expect(await plan()).toMatchObject({ status: 'held', nextAt: null, note: expect.stringContaining('no evidence') })
    await s.guard.settle()
    // Delivery is at least once: on a loaded machine the stack's 300 ms webhook timeout can fire
    // before the answer and the same body is sent again. One distinct notification, the hold.
    const distinct = [...new Set(hooks.map((body) => JSON.stringify(body)))].map((body) => JSON.parse(body))
    expect(distinct).toEqual([expect.objectContaining({ type: 'plan.hold', flag: 'checkout-v2', plan: expect.objectContaining({ status: 'held' }) })])
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'rollout-plan', action: 'plan.hold' })
    expect((await s.call('POST', `${PROD}/plan/resume`)).json.plan.status).toBe('active')
    hook.closeAllConnections()
    await new Promise((resolve) => hook.close(resolve))
  })

  it('never narrows a cohort: steps at or below its rollout are skipped, and the preview says so', async () => {
    await s.call('PATCH', PROD, { body: { cohorts: [{ name: 'everyone', conditions: [], rollout: 50 }] } })
    const body = { cohort: 'everyone', steps: [1, 5, 25, 50, 100], intervalSeconds: 60 }
    const preview = await s.call('POST', `${PROD}/plan/preview`, { body })
    expect(preview.json).toEqual({
      cohort: 'everyone',
      from: 50,
      steps: [100],
      startsAt: 50,
      widensNow: false,
      summary: 'stays at 50%; will go to 100% after 60 s if the canary shows it is under its limit',
      skipped: [1, 5, 25, 50],
      replaces: null,
    })
    const started = await s.call('PUT', `${PROD}/plan`, { body })
    expect(started.json.plan).toMatchObject({ steps: [50, 100], step: 0, skipped: [1, 5, 25, 50], status: 'active' })
    expect(await rollout()).toBe(50)
  })

  it('never widens on nothing: from 1% the first step waits for the interval and the evidence, and is audited with it', async () => {
    await s.call('PATCH', PROD, { body: { cohorts: [{ name: 'everyone', conditions: [], rollout: 1 }] } })
    const started = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 25, 100], intervalSeconds: 1 } })
    expect(started.json.cohorts[0].rollout).toBe(1)
    expect(started.json.plan).toMatchObject({ steps: [1, 25, 100], step: 0, status: 'active' })
    // Audit entries keep the fields that changed: the plan, not the cohorts (still at 1%).
    const startEntry = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(startEntry).toMatchObject({ action: 'plan.start', after: { plan: { status: 'active' } } })
    expect(startEntry.after).not.toHaveProperty('cohorts')
    // The interval passes with no canary traffic: due, but no evidence, so it stays and says why.
    await pass(10_000)
    expect(await rollout()).toBe(1)
    expect((await s.call('GET', `${PROD}/guard`)).json.planProgress).toMatchObject({ waitingForEvidence: true, evidence: { step: 0, canaryExposures: 0, proven: false } })
    // Healthy traffic (1% errors against 5%): the test since the start shows it, and the first step is taken.
    for (let i = 0; i < 20 && (await rollout()) === 1; i++) await pass(5000, [100, 1, 900, 9])
    expect(await rollout()).toBe(25)
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'rollout-plan', action: 'plan.step', details: { rollout: 25, evidence: { step: 0, proven: true } } })
    expect(audit.details.evidence.canaryExposures).toBeGreaterThanOrEqual(200)
  })

  it('refuses a plan that could only narrow, changing nothing', async () => {
    await s.call('PATCH', PROD, { body: { cohorts: [{ name: 'everyone', conditions: [], rollout: 50 }] } })
    const before = (await s.fingerprint())
    const r = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    expect(r.status).toBe(400)
    expect(r.json.error.message).toMatch(/^steps: every step is at or below cohort everyone's current rollout \(50%\)/)
    expect((await s.fingerprint())).toEqual(before)
  })

  it('answers 409 to a second plan unless it says replace', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    const before = (await s.fingerprint())
    const second = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [2, 10], intervalSeconds: 30 } })
    expect(second.status).toBe(409)
    expect(second.json.error.message).toMatch(/already has a plan on cohort everyone \(active\); send replace: true/)
    expect((await s.fingerprint())).toEqual(before)
    const preview = await s.call('POST', `${PROD}/plan/preview`, { body: { cohort: 'everyone', steps: [2, 10], intervalSeconds: 30 } })
    expect(preview.json).toMatchObject({ from: 1, steps: [2, 10], replaces: { status: 'active', steps: [1, 5, 25] } })
    // The old plan's step has gathered proof that the rate is below the limit…
    await pass(20_000, [100, 0, 900, 9])
    expect((await s.call('GET', `${PROD}/guard`)).json.planProgress.evidence.proven).toBe(true)
    const replaced = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [2, 10], intervalSeconds: 30, replace: true } })
    expect(replaced.json.plan).toMatchObject({ steps: [1, 2, 10], status: 'active' })
    // …which the new plan does not inherit: it starts from 1% and waits for evidence of its own.
    expect((await s.call('GET', `${PROD}/guard`)).json.planProgress.evidence).toMatchObject({ proven: false, canaryExposures: 0 })
    expect(await rollout()).toBe(1)
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit.action).toBe('plan.replace')
  })

  it('stops on a trip and keeps the flag off', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    await pass(65_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    await pass(20_000, [100, 30, 900, 9])
    const state = (await s.call('GET', PROD)).json
    expect(state.enabled).toBe(false)
    expect(state.plan).toMatchObject({ status: 'stopped', note: expect.stringContaining('guard tripped') })
    await pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('pauses, resumes and cancels', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    const stale = (await s.call('GET', PROD)).json.version - 1
    expect((await s.call('POST', `${PROD}/plan/pause`, { headers: { 'if-match': `"${stale}"` } })).status).toBe(409)
    expect((await s.call('POST', `${PROD}/plan/pause`)).json.plan.status).toBe('paused')
    await pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(1)
    expect((await s.call('POST', `${PROD}/plan/pause`)).status).toBe(409)
    expect((await s.call('POST', `${PROD}/plan/resume`)).json.plan.status).toBe('active')
    await pass(65_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
    expect((await s.call('POST', `${PROD}/plan/cancel`)).json.plan.status).toBe('cancelled')
    await pass(120_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('resumes its schedule after a server restart', async () => {
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5, 25], intervalSeconds: 60 } })
    await pass(30_000, [100, 1, 900, 9])
    await s.close()
    s = await makeStack({ now: () => clock, databasePath: dbPath })
    expect((await plan()).status).toBe('active')
    await pass(40_000, [100, 1, 900, 9])
    expect(await rollout()).toBe(5)
  })

  it('refuses a plan without a guard, with unknown cohort, or with steps that do not increase', async () => {
    await s.call('DELETE', `${PROD}/guard`)
    const noGuard = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [1, 5], intervalSeconds: 60 } })
    expect(noGuard).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^guard: /) } } })
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, minExposures: 200, windowSeconds: 60 } })
    expect((await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'nope', steps: [1, 5], intervalSeconds: 60 } })).status).toBe(404)
    const flat = await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'everyone', steps: [5, 5], intervalSeconds: 60 } })
    expect(flat.json.error.message).toBe('steps: must be strictly increasing')
  })
})
