import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/**
 * The writes of a protected environment that are not one flag's state (segments, `clientSide`,
 * archiving, imports), over real HTTP against a real server on a SQLite file: each goes through
 * only when it changes no answer the protected environment gives, and is otherwise refused with
 * a 409 that says the way through review, changing nothing.
 */

const P = '/api/v1/environments/production'
const D = '/api/v1/environments/development'
let server: TestServer
let n = 0
let flag: string

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

beforeEach(async () => {
  flag = `pw-flag-${++n}`
  expect((await server.api('POST', '/api/v1/flags', { key: flag })).status).toBe(201)
})
afterEach(async () => {
  await server.api('DELETE', `${P}/protection`)
})

const protect = async () => expect((await server.api('PUT', `${P}/protection`, { approvals: 1 })).status).toBe(200)

/** What a refusal must leave as it was: the flag everywhere, the segments, the audit log, the requests. */
async function fingerprint() {
  return {
    flag: (await server.api('GET', `/api/v1/flags/${flag}`)).json,
    segments: (await server.api('GET', `${P}/segments`)).json,
    audit: (await server.api('GET', '/api/v1/audit?limit=1')).json.items[0]?.id,
    requests: (await server.api('GET', '/api/v1/change-requests?limit=500')).json.items.length,
  }
}

describe('segments in a protected environment', () => {
  it('a segment flags use cannot change (409 naming them), nothing changed; creating one and changing an unused one go through', async () => {
    const seg = `staff-${n}`
    expect((await server.api('POST', `${P}/segments`, { key: seg, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] })).status).toBe(201)
    const cohorts = [{ name: 'staff', conditions: [{ segment: seg }], rollout: 100 }]
    const used = await server.api('PATCH', `${P}/flags/${flag}`, { cohorts, enabled: true })
    expect(used.status, JSON.stringify(used.json)).toBe(200)
    await protect()
    const before = await fingerprint()
    const widen = await server.api('PUT', `${P}/segments/${seg}`, { key: seg, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['.com'] }] })
    expect(widen.status, JSON.stringify(widen.json)).toBe(409)
    expect(widen.json.error.message).toContain(`segment ${seg} is used by flags ${flag} in protected environment production`)
    expect(widen.json.error.message).toContain('propose each flag')
    expect(widen.json.error.details).toEqual({ flags: [flag] })
    expect(await fingerprint()).toEqual(before)
    // Its description alone changes no answer: it goes through.
    const described = await server.api('PUT', `${P}/segments/${seg}`, { key: seg, description: 'our staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] })
    expect(described.status, JSON.stringify(described.json)).toBe(200)

    // The way through review: a new segment (changes nothing), and the flag's switch to it, held.
    const next = `${seg}-v2`
    expect((await server.api('POST', `${P}/segments`, { key: next, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['.com'] }] })).status).toBe(201)
    expect((await server.api('PUT', `${P}/segments/${next}`, { key: next, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['.org'] }] })).status).toBe(200)
    const switched = await server.api('PATCH', `${P}/flags/${flag}`, { cohorts: [{ ...cohorts[0], conditions: [{ segment: next }] }] })
    expect(switched.status, JSON.stringify(switched.json)).toBe(202)
    expect(switched.json.request.diff.map((d: { field: string }) => d.field)).toEqual(['cohorts'])
    // An unused segment may go; a used one stays refused as ever.
    expect((await server.api('DELETE', `${P}/segments/${next}`)).status).toBe(204)
    expect((await server.api('DELETE', `${P}/segments/${seg}`)).status).toBe(409)
  })

  it('another environment that is not protected changes its segments as before', async () => {
    const seg = `dev-staff-${n}`
    expect((await server.api('POST', `${D}/segments`, { key: seg, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] })).status).toBe(201)
    const cohorts = [{ name: 'staff', conditions: [{ segment: seg }], rollout: 100 }]
    expect((await server.api('PATCH', `${D}/flags/${flag}`, { cohorts, enabled: true })).status).toBe(200)
    await protect()
    const res = await server.api('PUT', `${D}/segments/${seg}`, { key: seg, conditions: [{ attribute: 'email', operator: 'ends_with', values: ['.com'] }] })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
  })
})

describe('clientSide while the flag is on in a protected environment', () => {
  it('showing it to client keys is 409 (nothing changed); hiding it goes through; an off flag may be shown', async () => {
    expect((await server.api('PATCH', `${P}/flags/${flag}`, { enabled: true })).status).toBe(200)
    await protect()
    const before = await fingerprint()
    const show = await server.api('PATCH', `/api/v1/flags/${flag}`, { clientSide: true })
    expect(show.status, JSON.stringify(show.json)).toBe(409)
    expect(show.json.error.message).toContain(`flag ${flag} is on in protected environment production: showing it to client keys there would widen it without approval`)
    expect(await fingerprint()).toEqual(before)
    // Off there (the kill switch, at once), it may be shown; turning it on again is then a request.
    expect((await server.api('PATCH', `${P}/flags/${flag}`, { enabled: false })).status).toBe(200)
    const shown = await server.api('PATCH', `/api/v1/flags/${flag}`, { clientSide: true })
    expect(shown.status, JSON.stringify(shown.json)).toBe(200)
    expect(shown.json.clientSide).toBe(true)
    expect((await server.api('PATCH', `${P}/flags/${flag}`, { enabled: true })).status).toBe(202)
    // Hiding only narrows: never refused.
    expect((await server.api('PATCH', `/api/v1/flags/${flag}`, { clientSide: false })).status).toBe(200)
  })
})

describe('archiving while the flag is on in a protected environment', () => {
  it('is 409 until the kill switch turns it off there; then the archive goes through', async () => {
    expect((await server.api('PATCH', `${P}/flags/${flag}`, { enabled: true })).status).toBe(200)
    await protect()
    const before = await fingerprint()
    const archive = await server.api('DELETE', `/api/v1/flags/${flag}`)
    expect(archive.status).toBe(409)
    expect(archive.json.error.message).toBe(
      `flag ${flag} is on in protected environment production: turn it off there first (the kill switch applies at once, never held), then archive it`,
    )
    expect(await fingerprint()).toEqual(before)
    expect((await server.api('PATCH', `${P}/flags/${flag}`, { enabled: false })).status).toBe(200)
    expect((await server.api('DELETE', `/api/v1/flags/${flag}`)).status).toBe(204)
    expect((await server.api('GET', `/api/v1/flags/${flag}`)).status).toBe(404)
  })

  it('a flag on only where nothing is protected archives at once', async () => {
    expect((await server.api('PATCH', `${D}/flags/${flag}`, { enabled: true })).status).toBe(200)
    await protect()
    expect((await server.api('DELETE', `/api/v1/flags/${flag}`)).status).toBe(204)
  })
})

describe('imports into a protected environment', () => {
  it('are 409 naming the environment (a dry run is fine), and write nothing', async () => {
    await protect()
    const file = { version: 2, features: [{ name: `imported-${n}`, enabled: true, strategies: [{ name: 'default' }] }] }
    const res = await server.api('POST', '/api/v1/import/unleash?environment=production', file)
    expect(res.status, JSON.stringify(res.json)).toBe(409)
    expect(res.json.error.message).toContain('environment production is protected (1 approval per change): an import would change its flags without review')
    expect((await server.api('GET', `/api/v1/flags/imported-${n}`)).status).toBe(404)
    const dry = await server.api('POST', '/api/v1/import/unleash?environment=production&dryRun=true', file)
    expect(dry.status, JSON.stringify(dry.json)).toBe(200)
    expect((await server.api('POST', '/api/v1/import/unleash?environment=development', file)).status).toBe(201)
  })
})
