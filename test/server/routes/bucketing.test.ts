import { defaultStrategies } from 'unleash-client/lib/strategy/index.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Cohort bucketing modes through the admin API (issue 29): validated with a message naming the
 * field (and nothing changed), stored and answered as given, and a change of an existing cohort's
 * bucketing refused (409) until the request confirms that it reshuffles users.
 */
let s: Stack
beforeEach(async () => {
  s = await makeStack()
  await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
})
afterEach(() => s.close())

const patchProd = (body: unknown) => s.call('PATCH', '/api/v1/environments/production/flags/f1', { body })
const unleash = { mode: 'unleash', groupId: 'Feature.A', stickiness: 'userId' }
const launchdarkly = { mode: 'launchdarkly', flagKey: 'f1', salt: 'abc', attribute: 'userId', offset: 20_000 }
const withBucketing = (bucketing: unknown, rollout = 30) => ({ cohorts: [{ name: 'c', conditions: [], rollout, bucketing }] })

describe('cohort bucketing in the admin API', () => {
  it.each([
    [{ mode: 'optimizely' }, /^cohorts\.0\.bucketing\.mode: bucketing\.mode must be one of unleash, launchdarkly \(got "optimizely"\)/],
    ['unleash', /^cohorts\.0\.bucketing: bucketing must be an object/],
    [{ mode: 'unleash', stickiness: 'userId' }, /^cohorts\.0\.bucketing\.groupId: /],
    [{ ...unleash, stickiness: '' }, /^cohorts\.0\.bucketing\.stickiness: /],
    [{ ...launchdarkly, offset: 100_000 }, /^cohorts\.0\.bucketing\.offset: must be an integer from 0 to 99999/],
    [{ ...launchdarkly, offset: -1 }, /^cohorts\.0\.bucketing\.offset: must be an integer from 0 to 99999/],
    [{ ...launchdarkly, seed: 1.5 }, /^cohorts\.0\.bucketing\.seed: /],
    [{ ...unleash, extra: 1 }, /^cohorts\.0\.bucketing.*extra/],
  ])('refuses %j with a 400 naming the field, and changes nothing', async (bucketing, message) => {
    const before = await s.fingerprint()
    const res = await patchProd(withBucketing(bucketing))
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(message)
    expect(await s.fingerprint()).toEqual(before)
  })

  it('stores both modes and answers them as given, in the state and in the evaluate route', async () => {
    const res = await patchProd({ enabled: true, cohorts: [{ name: 'u', conditions: [], rollout: 100, bucketing: unleash }, { name: 'l', conditions: [], rollout: 100, bucketing: launchdarkly }] })
    expect(res.status).toBe(200)
    const state = (await s.call('GET', '/api/v1/environments/production/flags/f1')).json
    expect(state.cohorts.map((c: { bucketing: unknown }) => c.bucketing)).toEqual([unleash, launchdarkly])
    // The unleash cohort needs a stickiness value; LaunchDarkly's 100% takes everyone.
    const evaluate = (user: unknown) => s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag: 'f1', user } })
    expect((await evaluate({ userId: 'u1' })).json).toMatchObject({ enabled: true, reason: 'cohort:u' })
    expect((await evaluate({ region: 'eu' })).json).toMatchObject({ enabled: true, reason: 'cohort:l' })
  })

  it('refuses to move a cohort to the project\'s own bucketing unless reshuffle: true confirms it', async () => {
    expect((await patchProd(withBucketing(unleash))).status).toBe(200)
    const before = await s.fingerprint()
    const refused = await patchProd({ cohorts: [{ name: 'c', conditions: [], rollout: 30 }] })
    expect(refused.status).toBe(409)
    expect(refused.json.error.message).toBe(
      'changing the bucketing of cohort c from unleash (groupId Feature.A, stickiness userId) to own reshuffles its users: at the same percentage, different users will be in and out. Send reshuffle: true to confirm',
    )
    expect(refused.json.error.details).toEqual({ reshuffles: [{ cohort: 'c', from: 'unleash (groupId Feature.A, stickiness userId)', to: 'own' }] })
    expect(await s.fingerprint()).toEqual(before)
    const confirmed = await patchProd({ cohorts: [{ name: 'c', conditions: [], rollout: 30 }], reshuffle: true })
    expect(confirmed.status).toBe(200)
    expect(confirmed.json.cohorts[0].bucketing).toBeUndefined()
  })

  it('widening a cohort with a mode needs no confirmation (it keeps everyone in)', async () => {
    expect((await patchProd(withBucketing(launchdarkly, 10))).status).toBe(200)
    expect((await patchProd(withBucketing(launchdarkly, 40))).status).toBe(200)
    const widened = await s.call('PUT', '/api/v1/environments/production/flags/f1/cohorts/c/rollout', { body: { rollout: 60 } })
    expect(widened.status).toBe(200)
    expect(widened.json.cohorts[0]).toMatchObject({ rollout: 60, bucketing: launchdarkly })
  })

  it('server-side evaluation (evaluate route, OFREP, client keys) buckets as unleash-client does', async () => {
    await s.call('PATCH', '/api/v1/flags/f1', { body: { clientSide: true } })
    const groupId = 'Feature.Server'
    expect((await patchProd({ enabled: true, cohorts: [{ name: 'half', conditions: [], rollout: 50, bucketing: { mode: 'unleash', groupId, stickiness: 'userId' } }] })).status).toBe(200)
    const key = async (kind: string) =>
      (await s.call('POST', '/api/v1/keys', { body: { name: `k-${kind}`, kind, environment: 'production' } })).json.secret as string
    const serverKey = await key('server')
    const clientKey = await key('client')
    const flexible = defaultStrategies.find((strategy) => strategy.name === 'flexibleRollout')!
    const disagreements: string[] = []
    let on = 0
    for (let i = 0; i < 60; i++) {
      const userId = `user-${i}`
      const reference = flexible.isEnabled({ groupId, rollout: '50', stickiness: 'userId' }, { userId })
      const ofrep = (await s.call('POST', '/ofrep/v1/evaluate/flags/f1', { key: serverKey, body: { context: { targetingKey: userId, userId } } })).json.value
      const viaClient = (await s.call('POST', '/api/v1/environments/production/evaluate', { key: clientKey, body: { flag: 'f1', user: { userId } } })).json.enabled
      if (ofrep !== reference || viaClient !== reference) disagreements.push(`${userId}: unleash ${reference}, ofrep ${ofrep}, client key ${viaClient}`)
      if (reference) on++
    }
    expect(disagreements).toEqual([])
    expect(on).toBeGreaterThan(10)
    expect(on).toBeLessThan(50)
  })
})
