import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { failures, seededRandom } from '../../helpers/random.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

let s: Stack
let clock: number
let serverKey: string
let batchNo = 0
const PROD = '/api/v1/environments/production/flags/checkout-v2'

beforeEach(async () => {
  clock = 1_800_000_000_000
  s = await makeStack({ now: () => clock })
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  await s.call('PATCH', PROD, {
    body: { enabled: true, cohorts: [{ name: 'canary', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 10 }] },
  })
  serverKey = (await s.call('POST', '/api/v1/keys', { body: { name: 'svc', kind: 'server', environment: 'production' } })).json.secret
})
afterEach(() => s.close())

/** One SDK batch over the HTTP fallback, as the SDKs send it. */
function sendBatch(counts: [number, number, number, number], id = `b-${++batchNo}`) {
  return s.call('POST', '/api/v1/metrics', {
    key: serverKey,
    body: { batch: { id, start: clock - 5000, end: clock, flags: { 'checkout-v2': counts } } },
  })
}

const setGuard = (guard: object) => s.call('PUT', `${PROD}/guard`, { body: guard })
/** One second passes: the guard feeds that second's counts to its tests. */
async function second() {
  clock += 1000
  await s.guard.tick()
}
const enabled = async () => (await s.call('GET', PROD)).json.enabled as boolean
const guardView = async () => (await s.call('GET', `${PROD}/guard`)).json

describe('guard over the API', () => {
  it('turns a failing canary off in one audited, streamed change with the frozen statistics', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    const published = s.published.length
    const r = seededRandom(3)
    for (let i = 0; i < 30 && (await enabled()); i++) {
      await sendBatch([100, failures(100, 0.2, r), 900, failures(900, 0.01, r)])
      await second()
    }
    expect(await enabled()).toBe(false)
    expect(s.published.slice(published).map((p) => p.change.type === 'flag' && p.change.flag.enabled)).toContain(false)
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'guard', action: 'guard.trip', before: { enabled: true }, after: { enabled: false } })
    expect(audit.details).toMatchObject({ rule: 'max_error_rate', test: 'mixture', limit: 0.05 })
    const figures = audit.details.figures
    expect(figures.maxErrorRate.statistic).toBeGreaterThanOrEqual(figures.maxErrorRate.threshold)
    expect(figures.maxErrorRate.threshold).toBeCloseTo(Math.log(20), 10)
    // 20% errors against 5%: a handful of seconds of 100 exposures is proof.
    expect(figures.canaryExposures).toBeLessThanOrEqual(600)
    const status = await guardView()
    expect(status.status).toBe('tripped')
    expect(status.guard.lastTrip).toMatchObject({ rule: 'max_error_rate', test: 'mixture' })
  })

  it('never trips on counts alone: the tests move once a second', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    await sendBatch([1000, 500, 0, 0])
    expect(await enabled()).toBe(true)
    await second()
    expect(await enabled()).toBe(false)
  })

  it('honours the minExposures floor before any trip', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 1000 })
    for (let i = 0; i < 5; i++) {
      await sendBatch([100, 50, 0, 0])
      await second()
    }
    expect(await enabled()).toBe(true)
    expect((await guardView()).status).toBe('insufficient_data')
    await sendBatch([500, 250, 0, 0])
    await second()
    expect(await enabled()).toBe(false)
  })

  it('stays off until a person turns it on, which starts the tests afresh', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    await sendBatch([200, 60, 0, 0])
    await second()
    expect(await enabled()).toBe(false)
    clock += 120_000
    await second()
    expect(await enabled()).toBe(false)
    await s.call('PATCH', PROD, { body: { enabled: true } })
    const status = await guardView()
    expect(status.status).toBe('insufficient_data')
    expect(status.decision.figures).toMatchObject({ canaryExposures: 0, seconds: 0, since: clock })
  })

  it('keeps the last trip visible, marked with when the flag went back on, until the next trip', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    await sendBatch([200, 60, 0, 0])
    await second()
    expect(await enabled()).toBe(false)
    const tripped = (await guardView()).guard.lastTrip
    clock += 60_000
    const backOn = clock
    await s.call('PATCH', PROD, { body: { enabled: true } })
    const on = await guardView()
    expect(on.guard.lastTrip).toEqual({ ...tripped, resolvedAt: backOn })
    // Turned off by a person later: off, not "tripped" by a trip already answered.
    await s.call('PATCH', PROD, { body: { enabled: false } })
    expect((await guardView()).status).toBe('off')
    expect((await guardView()).guard.lastTrip.at).toBe(tripped.at)
    // The next trip replaces it, holding the flag off again.
    await s.call('PATCH', PROD, { body: { enabled: true } })
    await sendBatch([200, 60, 0, 0])
    await second()
    const next = await guardView()
    expect(next.status).toBe('tripped')
    expect(next.guard.lastTrip.at).toBeGreaterThan(tripped.at)
    expect(next.guard.lastTrip.resolvedAt ?? null).toBeNull()
  })

  it('starts the tests afresh when the guard settings change', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    await sendBatch([200, 5, 0, 0])
    await second()
    expect((await guardView()).decision.figures.canaryExposures).toBe(200)
    await setGuard({ maxErrorRate: 0.04 })
    expect((await guardView()).decision.figures.canaryExposures).toBe(0)
    // The display span alone is not part of the test.
    await sendBatch([200, 5, 0, 0])
    await second()
    await setGuard({ maxErrorRate: 0.04, windowSeconds: 120 })
    expect((await guardView()).decision.figures.canaryExposures).toBe(200)
  })

  it('counts a batch sent twice once', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    const first = await sendBatch([60, 2, 0, 0], 'same-id')
    const again = await sendBatch([60, 2, 0, 0], 'same-id')
    expect(first.json.duplicate).toBe(false)
    expect(again.json.duplicate).toBe(true)
    await second()
    const metrics = (await s.call('GET', `${PROD}/metrics`)).json
    expect(metrics.decision.figures.canaryExposures).toBe(60)
    expect(metrics.recent).toMatchObject({ seconds: 60, canaryExposures: 60 })
    expect(metrics.minutes).toEqual([expect.objectContaining({ canaryExposures: 60, canaryErrors: 2 })])
  })

  it('shows recent figures over the window, while the tests keep everything since the start', async () => {
    await setGuard({ maxErrorRate: 0.05, windowSeconds: 30 })
    await sendBatch([80, 0, 0, 0])
    await second()
    clock += 40_000
    await sendBatch([80, 0, 0, 0])
    await second()
    const view = await guardView()
    expect(view.recent.canaryExposures).toBe(80)
    expect(view.decision.figures.canaryExposures).toBe(160)
  })

  it('refuses bad guard settings, changing nothing', async () => {
    const before = (await s.fingerprint())
    expect((await setGuard({ maxErrorRate: 1.5 })).json.error.message).toMatch(/^maxErrorRate/)
    expect((await setGuard({ maxErrorRate: 0.1, webhookUrl: 'ftp://x' })).status).toBe(400)
    expect((await setGuard({ maxErrorRate: 0.1, evidence: 'browsers' })).json.error.message).toMatch(/^evidence/)
    // The latency bound must be a histogram bound, and a bound alone tests nothing.
    expect((await setGuard({ maxErrorRate: 0.1, latency: { slowerThanMs: 300, maxSlowRate: 0.1 } })).json.error.message).toMatch(
      /^latency\.slowerThanMs: must be one of the duration bounds 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000/,
    )
    expect((await setGuard({ maxErrorRate: 0.1, latency: { slowerThanMs: 500 } })).json.error.message).toMatch(
      /^latency: set maxSlowRate, maxSlowRatioToControl or both/,
    )
    expect((await setGuard({ maxErrorRate: 0.1, latency: { slowerThanMs: 500, maxSlowRate: 2 } })).json.error.message).toMatch(/^latency\.maxSlowRate/)
    expect((await s.fingerprint())).toEqual(before)
  })
})
describe('latency over the API', () => {
  /** A batch with duration histograms: `slow` of `timed` requests in the 500–1000 ms bucket, the rest ≤ 5 ms. */
  const timed = (exposures: number, slow: number) => ({ exposures, errors: 0, durations: [exposures - slow, 0, 0, 0, 0, 0, 0, slow, 0, 0, 0, 0] })

  it('trips a canary whose slow share is 3× control, audited with the latency figures', async () => {
    await setGuard({ maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRatioToControl: 2 } })
    for (let i = 0; i < 120 && (await enabled()); i++) {
      await s.call('POST', '/api/v1/metrics', {
        key: serverKey,
        body: { batch: { id: `l-${i}`, start: clock - 1000, end: clock, flags: { 'checkout-v2': { canary: timed(100, 15), control: timed(900, 45) } } } },
      })
      await second()
    }
    expect(await enabled()).toBe(false)
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit.details).toMatchObject({ rule: 'max_slow_ratio_to_control', limit: 2, figures: { slowerThanMs: 500, canarySlowRate: 0.15, controlSlowRate: 0.05 } })
  })
})

describe('guard webhook', () => {
  let hook: Server
  let received: Array<{ body: any }>
  let hang = false
  beforeEach(async () => {
    received = []
    hook = createServer((req: IncomingMessage, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        received.push({ body: JSON.parse(body) })
        if (!hang) res.end('ok')
      })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    hook.closeAllConnections()
    await new Promise((resolve) => hook.close(resolve))
    hang = false
  })
  const hookUrl = () => `http://127.0.0.1:${(hook.address() as AddressInfo).port}/trip`

  it('posts the trip event to the webhook', async () => {
    await setGuard({ maxErrorRate: 0.05, webhookUrl: hookUrl() })
    await sendBatch([200, 50, 0, 0])
    await second()
    await s.guard.settle()
    // At least once: a delivery slower than the stack's 300 ms timeout is sent again, unchanged.
    const distinct = new Set(received.map((r) => JSON.stringify(r.body)))
    expect(distinct.size).toBe(1)
    expect(received[0]!.body).toMatchObject({
      type: 'guard.trip',
      flag: 'checkout-v2',
      environment: 'production',
      rule: 'max_error_rate',
      test: 'mixture',
      figures: { canaryExposures: 200, canaryErrors: 50, maxErrorRate: { crossed: 'mixture' } },
    })
  })

  it('turns the flag off before a hanging webhook answers, and gives up on it after retries', async () => {
    hang = true
    await setGuard({ maxErrorRate: 0.05, webhookUrl: hookUrl() })
    await sendBatch([200, 50, 0, 0])
    await second()
    // The disable is synchronous with the tick; the webhook has not answered.
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    await s.guard.settle()
    expect(received).toHaveLength(3)
    expect(s.logged.filter((m) => m.includes('webhook'))).toHaveLength(3)
  })
})

describe('guard evidence after re-enabling', () => {
  it('starts afresh when a person turns a tripped flag back on, so late batches cannot re-trip it', async () => {
    await setGuard({ maxErrorRate: 0.05 })
    await sendBatch([200, 60, 0, 0])
    await second()
    expect(await enabled()).toBe(false)
    // A batch flushed just before the trip arrives late, while the flag is off.
    await sendBatch([150, 50, 0, 0])
    await second()
    await s.call('PATCH', PROD, { body: { enabled: true } })
    expect((await guardView()).decision.figures.canaryExposures).toBe(0)
    await sendBatch([100, 1, 0, 0])
    await second()
    expect(await enabled()).toBe(true)
  })
})
