import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * The kill switch is idempotent: asking for the state that already holds answers 200 with the
 * current state and `changed: false`, and writes nothing (no version, audit row or stream message).
 */
let s: Stack
beforeEach(async () => {
  s = await makeStack()
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
})
afterEach(() => s.close())

const STATE = '/api/v1/environments/production/flags/checkout-v2'

describe('a state write that asks for what already holds', () => {
  it('turning off a flag that is off answers 200, changed: false, and writes nothing', async () => {
    const before = await s.fingerprint()
    const res = await s.call('PATCH', STATE, { body: { enabled: false } })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    expect(res.json).toMatchObject({ key: 'checkout-v2', environment: 'production', enabled: false, changed: false })
    expect(res.headers.get('etag')).toBe(`"${res.json.version}"`)
    expect(await s.fingerprint()).toEqual(before)
  })

  it('off twice after on: the first changes (one audit row, one stream message), the second nothing', async () => {
    expect((await s.call('PATCH', STATE, { body: { enabled: true } })).json.changed).toBe(true)
    const first = await s.call('PATCH', STATE, { body: { enabled: false } })
    expect(first.json).toMatchObject({ enabled: false, changed: true })
    const afterFirst = await s.fingerprint()
    const second = await s.call('PATCH', STATE, { body: { enabled: false } })
    expect(second.status).toBe(200)
    expect(second.json).toMatchObject({ enabled: false, changed: false, version: first.json.version })
    expect(await s.fingerprint()).toEqual(afterFirst)
    const offs = (await s.store.logs.audit({ limit: 50 })).filter((row) => row.action === 'flag.off')
    expect(offs).toHaveLength(1)
  })

  it('the same cohorts again, with the current version, change nothing either', async () => {
    const cohorts = [{ name: 'all', conditions: [], rollout: 10 }]
    const set = await s.call('PATCH', STATE, { body: { cohorts } })
    const before = await s.fingerprint()
    const again = await s.call('PATCH', STATE, { body: { cohorts, version: set.json.version } })
    expect(again.json).toMatchObject({ changed: false, version: set.json.version })
    expect(await s.fingerprint()).toEqual(before)
  })

  it('a stale version is still a conflict, even when the values already hold', async () => {
    await s.call('PATCH', STATE, { body: { enabled: true } })
    const before = await s.fingerprint()
    const res = await s.call('PATCH', STATE, { body: { enabled: true, version: 1 } })
    expect(res.status).toBe(409)
    expect(await s.fingerprint()).toEqual(before)
  })

  it.each([
    ['an empty body', { raw: '' }],
    ['{}', { body: {} }],
    ['only a version', { body: { version: 1 } }],
  ])('a request asking for nothing (%s) stays a 400 naming the body', async (_name, request) => {
    const before = await s.fingerprint()
    const res = await s.call('PATCH', STATE, request)
    expect(res.status).toBe(400)
    expect(res.json.error.message).toMatch(/^body: nothing to change: name at least one field/)
    expect(await s.fingerprint()).toEqual(before)
  })
})
