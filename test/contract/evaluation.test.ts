// Contract: sdk/SPEC.md §2 (evaluation). Where this test and the spec disagree, one of them is a bug.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../sdk/index.ts'
import { specCases, type SpecCase } from '../helpers/spec-cases.ts'
import { makeStack, type Stack } from '../helpers/stack.ts'

/**
 * The shared spec cases (sdk/fixtures/evaluation-cases.json) through the two other paths that must
 * agree with the core: the server's `POST /evaluate` (rules stored through the admin API, so
 * they also survive validation and SQLite), and the SDK's `explain` (rules from a snapshot).
 */
const cases = specCases

/** Rules the API accepts: a cohort naming a segment that does not exist is refused at input. */
const storable = (c: SpecCase) =>
  c.flag.cohorts.every((cohort) =>
    cohort.conditions.every((cond) => !('segment' in cond) || (c.segments ?? []).some((s) => s.key === cond.segment)),
  )

describe('spec cases through POST /evaluate', () => {
  let s: Stack
  beforeAll(async () => {
    s = await makeStack()
    await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  })
  afterAll(() => s.close())

  it('refuses to store the cases that reference unknown segments (they are core-only)', () => {
    expect(cases.filter((c) => !storable(c)).map((c) => c.name)).toEqual(['unknown segment fails closed even when negated'])
  })

  it.each(cases.filter(storable).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const env = '/api/v1/environments/production'
    // Start clean: no cohorts (so segments can be replaced), then the case's segments and rules.
    await s.call('PATCH', `${env}/flags/checkout-v2`, { body: { cohorts: [] } })
    for (const existing of await s.store.segments.list('production')) await s.call('DELETE', `${env}/segments/${existing.key}`)
    for (const { version: _v, ...segment } of c.segments ?? []) {
      const created = await s.call('POST', `${env}/segments`, { body: segment })
      expect(created.status, JSON.stringify(created.json)).toBe(201)
    }
    const { enabled, stickiness, cohorts } = c.flag
    const patched = await s.call('PATCH', `${env}/flags/checkout-v2`, { body: { enabled, stickiness, cohorts } })
    expect(patched.status, JSON.stringify(patched.json)).toBe(200)
    const res = await s.call('POST', `${env}/evaluate`, { body: { flag: 'checkout-v2', user: c.user } })
    expect({ enabled: res.json.enabled, reason: res.json.reason }).toEqual(c.expected)
  })
})

describe('spec cases through the SDK client', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const flags = createClient({
      // Nothing listens here: the SDK answers from its bootstrap, as it does while offline.
      url: 'http://127.0.0.1:9',
      key: 'cf_server_contract',
      logger: {},
      bootstrap: { environment: 'production', version: 1, flags: [c.flag], segments: c.segments ?? [] },
    })
    try {
      expect(flags.explain('checkout-v2', c.user)).toEqual(c.expected)
      expect(flags.isEnabled('checkout-v2', c.user)).toBe(c.expected.enabled)
    } finally {
      await flags.close({ timeoutMs: 50 })
    }
  })
})
