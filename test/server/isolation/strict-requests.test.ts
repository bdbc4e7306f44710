import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LIMITS } from '../../../sdk/core/index.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/** Requests that would change nothing, or could stall evaluation, are refused and change nothing. */
let s: Stack
beforeEach(async () => {
  s = await makeStack()
  await s.call('POST', '/api/v1/flags', { body: { key: 'f1' } })
})
afterEach(() => s.close())

const STATE = '/api/v1/environments/production/flags/f1'

async function expectRefused(request: () => Promise<{ status: number; json: any }>, message: RegExp) {
  const before = (await s.fingerprint())
  const res = await request()
  expect(res.status, JSON.stringify(res.json)).toBe(400)
  expect(res.json.error.message).toMatch(message)
  expect((await s.fingerprint())).toEqual(before)
  return res
}

describe('If-Match is a decimal version or nothing', () => {
  it.each(['"0xb"', '"12e0"', '0x3', '1.0', '"-1"', '"3" "4"', 'abc', '""', '"1_0"'])('refuses If-Match: %s', async (header) => {
    await expectRefused(
      () => s.call('PATCH', STATE, { body: { enabled: true }, headers: { 'if-match': header } }),
      /^If-Match: must be a decimal version number/,
    )
  })

  it.each(['V', '"V"', 'W/"V"', ' "V" '])('accepts If-Match: %s (V the current version)', async (form) => {
    const version = (await s.call('GET', STATE)).json.version
    const res = await s.call('PATCH', STATE, { body: { enabled: true }, headers: { 'if-match': form.replace('V', String(version)) } })
    expect(res.status).toBe(200)
  })

  it('refuses an If-Match that disagrees with the body version', async () => {
    await expectRefused(
      () => s.call('PATCH', STATE, { body: { enabled: true, version: 2 }, headers: { 'if-match': '"1"' } }),
      /If-Match: says version 1 but the body's version is 2/,
    )
  })
})

describe('a PATCH that changes nothing', () => {
  it.each([
    ['an empty body', {}],
    ['only a version', { version: 3 }],
  ])('refuses %s on a flag state, with no version, audit row or stream message', async (_name, body) => {
    await expectRefused(() => s.call('PATCH', STATE, { body }), /nothing to change/)
  })

  it('refuses a request with no body at all on a flag state', async () => {
    await expectRefused(() => s.call('PATCH', STATE, { raw: '' }), /nothing to change: name at least one field/)
  })

  it.each([
    ['an empty body', {}],
    ['the same description', { description: '' }],
    ['the same visibility', { clientSide: false }],
  ])('refuses %s on a flag definition', async (_name, body) => {
    await expectRefused(() => s.call('PATCH', '/api/v1/flags/f1', { body }), /nothing to change/)
  })
})

describe('evaluation cost is bounded at write time', () => {
  const matches = (...values: string[]) => ({
    cohorts: [{ name: 'c', conditions: [{ attribute: 'name', operator: 'matches', values }], rollout: 100 }],
  })

  it.each([
    ['\\pL{1000}', /cohorts\.0\.conditions\.0\.values: matches: pattern "\\\\pL\{1000\}" compiles to 685002 RE2 instructions.*more than 300/],
    ['\\pL{2}', /compiles to 1372 RE2 instructions/],
    ['.{1000}', /compiles to \d+ RE2 instructions/],
    ['(?i)\\w{200}', /compiles to \d+ RE2 instructions/],
  ])('refuses the heavy pattern %s, naming the field', async (pattern, message) => {
    await expectRefused(() => s.call('PATCH', STATE, { body: matches(pattern) }), message)
  })

  it('refuses the 10 KB attack of 200 patterns, and a flag whose patterns together exceed the budget', async () => {
    await expectRefused(() => s.call('PATCH', STATE, { body: matches(...Array(200).fill('\\pL{1000}\\pL{1000}')) }), /cohorts\.0\.conditions\.0\.values: matches: pattern/)
    // Each of these fits alone (140 class instructions ≈ 282), but 4 of them pass the flag's budget of 1000.
    const each = '[a-z]{140}'
    await expectRefused(() => s.call('PATCH', STATE, { body: matches(...Array(4).fill(each)) }), new RegExp(`^cohorts: .*more than ${LIMITS.maxFlagPatternSize}`))
    expect((await s.call('PATCH', STATE, { body: matches(each) })).status).toBe(200)
  })

  it("refuses a segment change that would take a flag using it over the budget", async () => {
    const segment = (n: number) => ({ key: 'heavy', conditions: Array.from({ length: n }, () => ({ attribute: 'name', operator: 'matches', values: ['[a-z]{140}'] })) })
    expect((await s.call('POST', '/api/v1/environments/production/segments', { body: segment(1) })).status).toBe(201)
    const uses = { cohorts: [1, 2, 3].map((i) => ({ name: `c${i}`, conditions: [{ segment: 'heavy' }], rollout: 100 })) }
    expect((await s.call('PATCH', STATE, { body: uses })).status).toBe(200)
    await expectRefused(
      () => s.call('PUT', '/api/v1/environments/production/segments/heavy', { body: segment(2) }),
      /conditions \(as used by flag f1\): the patterns .* more than 1000/,
    )
  })

  it('refuses cohorts larger than the rules size limit', async () => {
    const ids = Array.from({ length: 9000 }, (_, i) => `user-${String(i).padStart(6, '0')}-${'x'.repeat(50)}`)
    await expectRefused(
      () => s.call('PATCH', STATE, { body: { cohorts: [{ name: 'big', conditions: [{ attribute: 'userId', operator: 'in', values: ids }], rollout: 100 }] } }),
      new RegExp(`^cohorts: the cohorts take \\d+ bytes as JSON, more than ${LIMITS.maxRulesBytes}`),
    )
  })
})

describe('client keys on POST /evaluate', () => {
  it('answer with a generic reason for client-visible flags, and like an unknown flag for hidden ones', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'visible', clientSide: true } })
    const beta = { enabled: true, cohorts: [{ name: 'secret-cohort', conditions: [{ segment: 'staff' }], rollout: 100 }] }
    await s.call('POST', '/api/v1/environments/production/segments', { body: { key: 'staff', userIds: ['u1'] } })
    for (const flag of ['visible', 'f1']) await s.call('PATCH', `/api/v1/environments/production/flags/${flag}`, { body: beta })
    const client = (await s.call('POST', '/api/v1/keys', { body: { name: 'web', kind: 'client', environment: 'production' } })).json.secret
    const evaluate = (flag: string, key?: string) =>
      s.call('POST', '/api/v1/environments/production/evaluate', { body: { flag, user: { userId: 'u1' } }, key })
    expect((await evaluate('visible', client)).json).toEqual({ flag: 'visible', enabled: true, reason: 'TARGETING_MATCH' })
    const hidden = await evaluate('f1', client)
    expect(hidden.json).toEqual({ flag: 'f1', enabled: false, reason: 'ERROR' })
    expect(hidden.json).toEqual({ ...(await evaluate('no-such-flag', client)).json, flag: 'f1' })
    // Admin keys keep the detailed reason.
    expect((await evaluate('f1')).json).toEqual({ flag: 'f1', enabled: true, reason: 'cohort:secret-cohort' })
  })
})
