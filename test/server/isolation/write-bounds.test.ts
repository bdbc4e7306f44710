import { afterEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Finding 9 of issue 25: one environment admin could grow the database without bound (30
 * PATCHes of a 410 KiB cohort list added 38 MiB). Now: a bound on an environment's rules,
 * compact audit entries, writes per environment key per second (429), turning a flag off exempt.
 */
let s: Stack
let clock = 1_800_000_000_000
afterEach(() => s.close())
const PROD = '/api/v1/environments/production/flags'

/** A cohort list of about `kib` KiB: one beta cohort of 40-character user ids (at most 10,000 values a condition). */
function bigCohorts(kib: number, tag = 'u') {
  const ids = Array.from({ length: Math.ceil((kib * 1024) / 43) }, (_, i) => `${tag}-${String(i).padStart(38, '0')}`)
  return [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ids }], rollout: 100 }]
}

async function envAdmin() {
  return (await s.call('POST', '/api/v1/keys', { body: { name: 'prod-admin', kind: 'admin', environment: 'production' } })).json.secret as string
}

describe('bounded writes', () => {
  it("refuses a write that would take an environment's rules over their bound, and changes nothing", async () => {
    s = await makeStack({ now: () => clock, maxRulesBytes: 1024 * 1024 })
    for (const key of ['a', 'b', 'c']) await s.call('POST', '/api/v1/flags', { body: { key } })
    expect((await s.call('PATCH', `${PROD}/a`, { body: { cohorts: bigCohorts(410, 'a') } })).status).toBe(200)
    expect((await s.call('PATCH', `${PROD}/b`, { body: { cohorts: bigCohorts(410, 'b') } })).status).toBe(200)
    const before = await s.fingerprint()
    const refused = await s.call('PATCH', `${PROD}/c`, { body: { cohorts: bigCohorts(410, 'c') } })
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toMatch(/^cohorts: the rules of environment production would be \d+ bytes, over its limit of 1048576/)
    const segment = await s.call('POST', '/api/v1/environments/production/segments', {
      body: { key: 'many', userIds: bigCohorts(410, 's')[0]!.conditions[0]!.values },
    })
    expect(segment.status).toBe(400)
    expect(segment.json.error.message).toMatch(/^segment: the rules of environment production would be/)
    expect(await s.fingerprint()).toEqual(before)
    // Replacing a flag's own cohorts counts them once: the same size again is accepted.
    expect((await s.call('PATCH', `${PROD}/a`, { body: { cohorts: bigCohorts(410, 'x') } })).status).toBe(200)
  })

  it('stores audit entries compactly: turning a flag off does not copy its cohort lists', async () => {
    s = await makeStack({ now: () => clock })
    await s.call('POST', '/api/v1/flags', { body: { key: 'a' } })
    await s.call('PATCH', `${PROD}/a`, { body: { cohorts: bigCohorts(200), enabled: true } })
    await s.call('PATCH', `${PROD}/a`, { body: { enabled: false } })
    const entry = (await s.call('GET', '/api/v1/audit?flag=a&limit=1')).json.items[0]
    expect(entry).toMatchObject({ action: 'flag.off', before: { key: 'a', enabled: true }, after: { key: 'a', enabled: false } })
    expect(JSON.stringify(entry).length).toBeLessThan(2000)
  })

  it('limits writes per environment key per second with 429, never turning a flag off, never a global admin', async () => {
    s = await makeStack({ now: () => clock, writesPerKeyPerSecond: 3 })
    await s.call('POST', '/api/v1/flags', { body: { key: 'a' } })
    const key = await envAdmin()
    const widen = (rollout: number) => s.call('PATCH', `${PROD}/a`, { key, body: { cohorts: [{ name: 'all', conditions: [], rollout }] } })
    for (const rollout of [1, 2, 3]) expect((await widen(rollout)).status).toBe(200)
    const before = await s.fingerprint()
    const limited = await widen(4)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    expect(limited.json.error.message).toContain('at most 3 a second (turning a flag off is never limited)')
    expect(await s.fingerprint()).toEqual(before)
    // The brake always works, however often it is pulled; reads are not writes.
    for (let i = 0; i < 5; i++) expect((await s.call('PATCH', `${PROD}/a`, { key, body: { enabled: false } })).status).toBe(200)
    expect((await s.call('GET', `${PROD}/a`, { key })).status).toBe(200)
    // The global admin key is not limited; the environment key is served again a second later (not locked).
    expect((await s.call('PATCH', `${PROD}/a`, { body: { cohorts: [{ name: 'all', conditions: [], rollout: 5 }] } })).status).toBe(200)
    clock += 1000
    expect((await widen(6)).status).toBe(200)
  })
})
