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
  s = makeStack({ now: () => clock })
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

describe('guard over the API', () => {
  it('turns a failing canary off in one audited, streamed change with the figures', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 500, windowSeconds: 60 })
    const published = s.published.length
    const r = seededRandom(3)
    for (let i = 0; i < 5; i++) {
      clock += 5000
      await sendBatch([100, failures(100, 0.2, r), 900, failures(900, 0.01, r)])
    }
    const state = (await s.call('GET', PROD)).json
    expect(state.enabled).toBe(false)
    expect(s.published.slice(published).map((p) => p.change.type === 'flag' && p.change.flag.enabled)).toContain(false)
    const audit = (await s.call('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'guard', action: 'guard.trip', before: { enabled: true }, after: { enabled: false } })
    expect(audit.details).toMatchObject({ rule: 'max_error_rate', limit: 0.05, figures: { canaryExposures: 500, windowSeconds: 60 } })
    expect(audit.details.figures.canaryLower).toBeGreaterThan(0.05)
    const status = (await s.call('GET', `${PROD}/guard`)).json
    expect(status.status).toBe('tripped')
    expect(status.guard.lastTrip.rule).toBe('max_error_rate')
  })

  it('stays off until a person turns it on, which clears the trip banner', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 })
    await sendBatch([200, 60, 0, 0])
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    s.guard.checkAll()
    clock += 120_000
    s.guard.checkAll()
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    await s.call('PATCH', PROD, { body: { enabled: true } })
    const status = (await s.call('GET', `${PROD}/guard`)).json
    expect(status.status).toBe('insufficient_data')
    expect(status.guard.lastTrip).toBeNull()
  })

  it('counts a batch sent twice once', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 })
    const first = await sendBatch([60, 2, 0, 0], 'same-id')
    const again = await sendBatch([60, 2, 0, 0], 'same-id')
    expect(first.json.duplicate).toBe(false)
    expect(again.json.duplicate).toBe(true)
    const metrics = (await s.call('GET', `${PROD}/metrics`)).json
    expect(metrics.decision.figures.canaryExposures).toBe(60)
    expect(metrics.status).toBe('insufficient_data')
    expect(metrics.minutes).toEqual([expect.objectContaining({ canaryExposures: 60, canaryErrors: 2 })])
  })

  it('keeps only the window: old evidence slides out', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 30 })
    await sendBatch([80, 0, 0, 0])
    clock += 40_000
    await sendBatch([80, 0, 0, 0])
    expect((await s.call('GET', `${PROD}/guard`)).json.decision.figures.canaryExposures).toBe(80)
  })

  it('refuses bad guard settings and bad batches, changing nothing', async () => {
    const before = s.fingerprint()
    expect((await setGuard({ maxErrorRate: 1.5, minExposures: 10, windowSeconds: 60 })).json.error.message).toMatch(/^maxErrorRate/)
    expect((await setGuard({ maxErrorRate: 0.1, minExposures: 10, windowSeconds: 60, webhookUrl: 'ftp://x' })).status).toBe(400)
    const bad = await s.call('POST', '/api/v1/metrics', { key: serverKey, body: { batch: { id: 'x', start: 0, end: 0, flags: { f: [1, -2, 0, 0] } } } })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/batch\.flags\.f\.1/)
    expect((await s.call('POST', '/api/v1/metrics', { body: { batch: {} } })).status).toBe(403)
    expect(s.fingerprint()).toEqual(before)
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
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60, webhookUrl: hookUrl() })
    await sendBatch([200, 50, 0, 0])
    await s.guard.settle()
    expect(received).toHaveLength(1)
    expect(received[0]!.body).toMatchObject({
      type: 'guard.trip',
      flag: 'checkout-v2',
      environment: 'production',
      rule: 'max_error_rate',
      figures: { canaryExposures: 200, canaryErrors: 50 },
    })
  })

  it('turns the flag off before a hanging webhook answers, and gives up on it after retries', async () => {
    hang = true
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60, webhookUrl: hookUrl() })
    await sendBatch([200, 50, 0, 0])
    // The disable is synchronous with ingest; the webhook has not answered.
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    await s.guard.settle()
    expect(received).toHaveLength(3)
    expect(s.logged.filter((m) => m.includes('webhook'))).toHaveLength(3)
  })
})

describe('guard window after re-enabling', () => {
  it('starts afresh when a person turns a tripped flag back on, so late batches cannot re-trip it', async () => {
    await setGuard({ maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 })
    await sendBatch([200, 60, 0, 0])
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    // A batch flushed just before the trip arrives late, while the flag is off.
    await sendBatch([150, 50, 0, 0])
    await s.call('PATCH', PROD, { body: { enabled: true } })
    const status = (await s.call('GET', `${PROD}/guard`)).json
    expect(status.decision.figures.canaryExposures).toBe(0)
    await sendBatch([100, 1, 0, 0])
    expect((await s.call('GET', PROD)).json.enabled).toBe(true)
  })
})
