import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import * as shapes from '../../api-shapes/index.ts'
import { audienceText, summarizeCohorts } from '../../api-shapes/audience.ts'
import { makeStack, type Stack } from '../helpers/stack.ts'

/**
 * The routes' answers against the shapes the console and the CLI parse them with. Objects in
 * the shapes drop unknown fields, so a renamed field shows up here as a missing one.
 */

let s: Stack
beforeEach(async () => {
  s = await makeStack()
})
afterEach(() => s.close())

const F = '/api/v1/environments/production/flags/checkout'

async function expectShape(schema: z.ZodMiniType, method: string, path: string, body?: unknown) {
  const res = await s.call(method, path, body === undefined ? {} : { body })
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300)
  const parsed = schema.safeParse(res.json)
  expect(parsed.success ? [] : parsed.error.issues, `${method} ${path}`).toEqual([])
  return res.json
}

describe('admin API responses match the shared shapes', () => {
  it('flags, states, guard, metrics, plans, segments, keys, audit and environments', async () => {
    await expectShape(shapes.flagDetail, 'POST', '/api/v1/flags', { key: 'checkout', description: 'new checkout' })
    const cohorts = [
      { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['ann', 'bo', 'cy'] }], rollout: 100 },
      { name: 'eu-canary', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 25 },
    ]
    await expectShape(shapes.flagStateWrite, 'PATCH', F, { enabled: true, cohorts })
    await expectShape(shapes.flagState, 'GET', F)
    await expectShape(shapes.flagStateList, 'GET', '/api/v1/environments/production/flags')
    await expectShape(shapes.flagState, 'PUT', `${F}/cohorts/eu-canary/rollout`, { rollout: 30 })
    await expectShape(shapes.guardSet, 'PUT', `${F}/guard`, { maxErrorRate: 0.05 })
    await expectShape(shapes.guardReport, 'GET', `${F}/guard`)
    const metrics = await expectShape(shapes.metrics, 'GET', `${F}/metrics?span=15m`)
    expect(metrics.resolutionSeconds).toBe(60)
    expect(metrics.fine).toBeNull()
    await expectShape(shapes.planPreview, 'POST', `${F}/plan/preview`, { cohort: 'eu-canary', steps: [5, 50, 100], intervalSeconds: 60 })
    await expectShape(shapes.flagState, 'PUT', `${F}/plan`, { cohort: 'eu-canary', steps: [50, 100], intervalSeconds: 60 })
    await expectShape(shapes.flagState, 'POST', `${F}/plan/pause`)
    const list = await expectShape(shapes.flagList, 'GET', '/api/v1/flags')
    const production = shapes.flagList.parse(list).items[0]!.environments.production!
    // Starting a plan never widens on nothing: the cohort stays at its 30% until evidence allows the first step.
    expect(audienceText(production.audience)).toBe('beta: 3 users · eu-canary: 30% of region eu-west')
    expect(production.plan).toMatchObject({ cohort: 'eu-canary', status: 'paused' })
    await expectShape(shapes.flagDetail, 'GET', '/api/v1/flags/checkout')
    await expectShape(shapes.flagDefinition, 'PATCH', '/api/v1/flags/checkout', { clientSide: true })
    await expectShape(shapes.guardRemoved, 'DELETE', `${F}/guard`)
    await expectShape(shapes.segment, 'POST', '/api/v1/environments/production/segments', { key: 'staff', userIds: ['ann'], conditions: [] })
    await expectShape(shapes.segmentList, 'GET', '/api/v1/environments/production/segments')
    await expectShape(shapes.segment, 'GET', '/api/v1/environments/production/segments/staff')
    const key = await expectShape(shapes.createdKey, 'POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })
    await expectShape(shapes.keyList, 'GET', '/api/v1/keys')
    await expectShape(shapes.apiKey, 'DELETE', `/api/v1/keys/${key.id}`)
    await expectShape(shapes.auditPage, 'GET', '/api/v1/audit?flag=checkout')
    await expectShape(shapes.environmentList, 'GET', '/api/v1/environments')
    await expectShape(shapes.environment, 'POST', '/api/v1/environments', { key: 'staging' })
    await expectShape(shapes.evaluation, 'POST', '/api/v1/environments/production/evaluate', { flag: 'checkout', user: { userId: 'ann' } })
  })

  it('protection and change requests', async () => {
    await s.call('POST', '/api/v1/flags', { body: { key: 'checkout' } })
    await expectShape(shapes.environment, 'PUT', '/api/v1/environments/production/protection', { approvals: 1 })
    const held = await expectShape(shapes.heldWrite, 'PATCH', F, { enabled: true })
    expect(shapes.stateWriteAnswer.parse(held)).toMatchObject({ held: true })
    const id = held.request.id
    await expectShape(shapes.changeRequestList, 'GET', '/api/v1/change-requests?status=open')
    await expectShape(shapes.changeRequest, 'GET', `/api/v1/change-requests/${id}`)
    await expectShape(shapes.changeRequest, 'POST', `/api/v1/change-requests/${id}/comments`, { text: 'why now?' })
    await expectShape(shapes.changeRequest, 'POST', `/api/v1/change-requests/${id}/withdraw`)
    await expectShape(shapes.flagStateWrite, 'PATCH', F, { enabled: false })
    await expectShape(shapes.environment, 'DELETE', '/api/v1/environments/production/protection')
  })

  it('people: members, the session, personal tokens', async () => {
    const person = await expectShape(shapes.person, 'POST', '/api/v1/members', { email: 'ann@example.com', name: 'Ann', password: 'ann passphrase 2026', roles: [{ environment: 'production', role: 'editor' }] })
    await expectShape(shapes.personList, 'GET', '/api/v1/members')
    await expectShape(shapes.person, 'GET', `/api/v1/members/${person.id}`)
    await expectShape(shapes.person, 'PATCH', `/api/v1/members/${person.id}`, { name: 'Ann B.' })
    expect(shapes.whoAmI.parse(await expectShape(shapes.whoAmI, 'GET', '/api/v1/session')).type).toBe('key')
    const signIn = await s.call('POST', '/api/v1/session', { key: null, body: { email: 'ann@example.com', password: 'ann passphrase 2026' } })
    expect(shapes.signedIn.safeParse(signIn.json).success).toBe(true)
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!
    const asAnn = async (schema: z.ZodMiniType, method: string, path: string, body?: unknown) => {
      const res = await s.call(method, path, { key: null, headers: { cookie, 'x-canary-csrf': '1' }, ...(body !== undefined && { body }) })
      expect(res.status, JSON.stringify(res.json)).toBeLessThan(300)
      expect(schema.safeParse(res.json).success, JSON.stringify(res.json)).toBe(true)
      return res.json
    }
    expect((await asAnn(shapes.whoAmI, 'GET', '/api/v1/session')).type).toBe('person')
    const token = await asAnn(shapes.createdToken, 'POST', '/api/v1/tokens', { name: 'ci' })
    await asAnn(shapes.personalTokenList, 'GET', '/api/v1/tokens')
    await asAnn(shapes.personalToken, 'DELETE', `/api/v1/tokens/${token.id}`)
  })

  it('fails the parse when a field is renamed (what a renamed server field does to the console)', () => {
    const state = {
      key: 'f', environment: 'production', enabled: true, salt: 'f', stickiness: 'userId',
      cohorts: [], version: 3, guard: null, plan: null, updatedAt: 1,
    }
    expect(shapes.flagState.safeParse(state).success).toBe(true)
    const { enabled, ...renamed } = state
    const result = shapes.flagState.safeParse({ ...renamed, isEnabled: enabled })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.path).toEqual(['enabled'])
  })

  it('is checked at compile time where the routes answer', () => {
    type State = z.input<typeof shapes.flagState>
    // @ts-expect-error a renamed field does not satisfy the shape the routes are typed against
    const renamed: State = { key: 'f', environment: 'e', isEnabled: true, salt: 'f', stickiness: 'u', cohorts: [], version: 1, guard: null, plan: null, updatedAt: 1 }
    expect(renamed).toBeDefined()
  })
})

describe('the audience in words', () => {
  it('says how many of whom, cohort by cohort', () => {
    const text = audienceText(
      summarizeCohorts([
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['a', 'b', 'c', 'd'] }], rollout: 100 },
        { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 25 },
        { name: 'all', conditions: [], rollout: 5 },
        { name: 'staff', conditions: [{ segment: 'internal-staff' }], rollout: 100 },
        { name: 'held', conditions: [{ attribute: 'region', operator: 'in', values: ['us', 'ca', 'mx', 'br'] }], rollout: 0 },
      ]),
    )
    expect(text).toBe(
      'beta: 4 users · eu: 25% of region eu-west (adds 20%: 5% of them already through all) · all: 5% of all users · staff: segment internal-staff · held: nobody yet (0% of region us, ca, mx +1 more)',
    )
    expect(audienceText([])).toBe('nobody (no cohorts)')
  })
})
