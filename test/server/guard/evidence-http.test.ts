import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_FLAGS_PER_BATCH } from '../../../server/guard/metrics-batch.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * The attacks on the guard's evidence over `POST /api/v1/metrics`, each leaving the flag, the
 * plan and the guard's statistics as they were — or, for a client key, moved by at most one
 * user's worth (one exposure and one error per second).
 */
let s: Stack
let clock: number
let serverKey: string
let clientKey: string
let batchNo = 0
const PROD = '/api/v1/environments/production/flags/checkout'
const CANARY_USER = { userId: 'u-in', region: 'eu-west' }

beforeEach(async () => {
  clock = 1_800_000_000_000
  s = await makeStack({ now: () => clock })
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout', clientSide: true } })
  await s.call('PATCH', PROD, {
    body: { enabled: true, cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 100 }] },
  })
  await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05 } })
  const key = async (kind: string) =>
    (await s.call('POST', '/api/v1/keys', { body: { name: kind, kind, environment: 'production' } })).json.secret as string
  serverKey = await key('server')
  clientKey = await key('client')
})
afterEach(() => s.close())

function post(key: string, flags: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return s.call('POST', '/api/v1/metrics', { key, body: { batch: { id: `b-${++batchNo}`, start: clock - 1000, end: clock, flags }, ...extra } })
}
async function second() {
  clock += 1000
  await s.guard.tick()
}
const state = async () => (await s.call('GET', PROD)).json
const figures = async () => (await s.call('GET', `${PROD}/guard`)).json.decision.figures

describe('server-key batches: one validation', () => {
  const refused: Array<[string, unknown, RegExp]> = [
    ['2^53-1 exposures', [2 ** 53 - 1, 0, 0, 0], /batch\.flags\.checkout\.0/],
    ['1e308 exposures', [1e308, 0, 0, 0], /batch\.flags\.checkout\.0/],
    ['more errors than exposures', [1, 1_000_000, 0, 0], /batch\.flags\.checkout\.1/],
    ['more control errors than exposures', [0, 0, 1, 2], /batch\.flags\.checkout\.3: control errors/],
    // Server SDKs carry late errors to a batch with exposures (SPEC.md): alone, they are refused.
    ['errors alone, named', { canary: { exposures: 0, errors: 1 } }, /batch\.flags\.checkout\.canary\.errors: canary errors must not exceed canary exposures/],
    [
      'more durations than exposures',
      { control: { exposures: 1, errors: 0, durations: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } },
      /batch\.flags\.checkout\.control\.durations: control durations must not add up to more than control exposures/,
    ],
    ['a fraction', [1.5, 0, 0, 0], /batch\.flags\.checkout\.0/],
    ['a negative count', [1, -2, 0, 0], /batch\.flags\.checkout\.1/],
    ['three counts', [1, 0, 0], /batch\.flags\.checkout/],
  ]
  for (const [name, counts, message] of refused)
    it(`refuses ${name}, changing nothing`, async () => {
      await post(serverKey, { checkout: [100, 1, 0, 0] })
      await second()
      const before = { fingerprint: (await s.fingerprint()), figures: await figures() }
      const response = await post(serverKey, { checkout: counts })
      expect(response.status).toBe(400)
      expect(response.json.error.message).toMatch(message)
      await second()
      expect({ fingerprint: (await s.fingerprint()), figures: await figures() }).toEqual({ ...before, figures: { ...before.figures } })
      expect((await state()).enabled).toBe(true)
    })

  it(`refuses more than ${MAX_FLAGS_PER_BATCH} flags in one batch`, async () => {
    const flags = Object.fromEntries(Array.from({ length: MAX_FLAGS_PER_BATCH + 1 }, (_, i) => [`f-${i}`, [1, 0, 0, 0]]))
    const response = await post(serverKey, flags)
    expect(response.status).toBe(400)
    expect(response.json.error.message).toMatch(/batch\.flags: at most 10000 flags per batch/)
  })

  it('drops flags the environment does not have, and says how many', async () => {
    const flags = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`invented-${i}`, [1000, 0, 0, 0]]))
    const response = await post(serverKey, { ...flags, checkout: [10, 0, 0, 0] })
    expect(response.json).toMatchObject({ duplicate: false, unknownFlags: 5000 })
    await second()
    expect((await figures()).canaryExposures).toBe(10)
    expect(await s.store.metrics.series('production', 'invented-1', 0)).toEqual([])
  })

  it('a real 50% failure still trips after attempts to blind the guard', async () => {
    await post(serverKey, { checkout: [2 ** 53 - 1, 0, 0, 0] })
    await post(serverKey, { checkout: [1, 1_000_000, 0, 0] })
    for (let i = 0; i < 10 && (await state()).enabled; i++) {
      await post(serverKey, { checkout: [100, 50, 0, 0] })
      await second()
    }
    expect((await state()).enabled).toBe(false)
  })
})

describe('client-key batches: one user, attributed by the server', () => {
  it('needs the user it reports for', async () => {
    const before = (await s.fingerprint())
    const response = await post(clientKey, { checkout: [500, 60, 0, 0] })
    expect(response.status).toBe(400)
    expect(response.json.error.message).toMatch(/^user: required with a client key/)
    expect((await s.fingerprint())).toEqual(before)
  })

  it('the one-request trip of the report does not trip: it weighs one exposure per second', async () => {
    // Healthy back-end traffic: 200 requests a second at 1% errors.
    for (let i = 0; i < 20; i++) {
      await post(serverKey, { checkout: [200, 2, 0, 0] })
      await post(clientKey, { checkout: [500, 60, 0, 0] }, { user: CANARY_USER })
      await second()
    }
    expect((await state()).enabled).toBe(true)
    const f = await figures()
    // 20 seconds: the browser added at most 20 exposures and 20 errors on top of 4,000 and 40.
    expect(f.canaryExposures - 4000).toBeLessThanOrEqual(20)
    expect(f.canaryErrors - 40).toBeLessThanOrEqual(20)
    expect(f.canaryExposures - 4000).toBeGreaterThan(0)
  })

  it("counts in the arm the server computes, not the browser's", async () => {
    await s.call('PATCH', PROD, {
      body: { cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 0 }] },
    })
    await second()
    // An address's first report only starts its allowance (rotating addresses gains nothing).
    await post(clientKey, { checkout: [5, 5, 0, 0] }, { user: CANARY_USER })
    clock += 5000
    // The browser claims canary; the server evaluates the user as control (rollout 0).
    await post(clientKey, { checkout: [5, 5, 0, 0] }, { user: CANARY_USER })
    await second()
    expect(await figures()).toMatchObject({ canaryExposures: 0, canaryErrors: 0, controlExposures: 5, controlErrors: 5 })
    // A user no cohort could include counts nowhere.
    clock += 5000
    await post(clientKey, { checkout: [5, 5, 0, 0] }, { user: { userId: 'x', region: 'us' } })
    await second()
    expect(await figures()).toMatchObject({ controlExposures: 5 })
  })

  it('credits a late error against the exposure reported before it, never beyond', async () => {
    const named = (exposures: number, errors: number) => ({ checkout: { canary: { exposures, errors } } })
    // An address's first report only starts its allowance.
    await post(clientKey, named(1, 0), { user: CANARY_USER })
    clock += 5000
    // A page evaluates once; its flush carries the exposure. The request fails afterwards.
    expect((await post(clientKey, named(1, 0), { user: CANARY_USER })).status).toBe(200)
    await second()
    expect((await post(clientKey, named(0, 3), { user: CANARY_USER })).status).toBe(200)
    await second()
    expect(await figures()).toMatchObject({ canaryExposures: 1, canaryErrors: 1 })
    // Nothing left to match: more late errors add nothing.
    await post(clientKey, named(0, 1), { user: CANARY_USER })
    await second()
    expect(await figures()).toMatchObject({ canaryExposures: 1, canaryErrors: 1 })
  })

  it('errors alone from a browser that reported no exposure count nothing', async () => {
    clock += 5000
    const response = await post(clientKey, { checkout: { canary: { exposures: 0, errors: 5 } } }, { user: CANARY_USER })
    expect(response.status).toBe(200)
    await second()
    expect(await figures()).toMatchObject({ canaryExposures: 0, canaryErrors: 0 })
  })

  it('keeps the reported error rate when capping a burst', async () => {
    await post(clientKey, { checkout: [1, 0, 0, 0] }, { user: CANARY_USER })
    clock += 60_000
    await post(clientKey, { checkout: [100, 10, 0, 0] }, { user: CANARY_USER })
    await second()
    const f = await figures()
    expect(f.canaryExposures).toBeCloseTo(10, 6)
    expect(f.canaryErrors).toBeCloseTo(1, 6)
  })

  it('cannot push a plan: [1000,0,0,0] every 250 ms for 3 s moves it nowhere', async () => {
    await s.call('PATCH', PROD, {
      body: { cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 0 }] },
    })
    await s.call('PUT', `${PROD}/plan`, { body: { cohort: 'eu', steps: [1, 5, 25, 50, 100], intervalSeconds: 1 } })
    for (let i = 0; i < 12; i++) {
      clock += 250
      await post(clientKey, { checkout: [1000, 0, 0, 0] }, { user: { userId: 'attacker-in-canary-1', region: 'eu-west' } })
      if (i % 4 === 3) {
        await s.guard.tick()
        await s.planner.tick()
      }
    }
    expect((await state()).cohorts[0].rollout).toBe(1)
    const guard = (await s.call('GET', `${PROD}/guard`)).json
    expect(guard.planProgress.waitingForEvidence).toBe(true)
  })

  it('cannot report on a flag that is not client-visible: dropped like an unknown flag', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'hidden' } })
    const response = await post(clientKey, { hidden: [5, 5, 0, 0], checkout: [1, 0, 0, 0] }, { user: CANARY_USER })
    expect(response.json).toMatchObject({ unknownFlags: 1 })
  })

  it('is ignored entirely by a guard set to server evidence only', async () => {
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, evidence: 'server' } })
    await post(clientKey, { checkout: [1, 1, 0, 0] }, { user: CANARY_USER })
    clock += 10_000
    await post(clientKey, { checkout: [10, 10, 0, 0] }, { user: CANARY_USER })
    await second()
    expect((await figures()).canaryExposures).toBe(0)
  })
})
