import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OpenFeature } from '@openfeature/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/**
 * The published `@openfeature/ofrep-provider` with `@openfeature/server-sdk`, unmodified,
 * against a real server: it knows nothing of canary-flags, only OFREP.
 */
const ENV = '/api/v1/environments/development'

describe('published OFREP server provider against a real server', () => {
  let server: TestServer
  let serverKey: string
  let clientKey: string
  let domains = 0

  const clientFor = async (key: string) => {
    const domain = `ofrep-server-${++domains}`
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${key}`]] }))
    return OpenFeature.getClient(domain)
  }

  beforeAll(async () => {
    server = await startTestServer()
    serverKey = await server.createKey('server')
    clientKey = await server.createKey('client')
    await server.api('POST', '/api/v1/flags', { key: 'ofrep-beta', clientSide: true })
    await server.api('POST', '/api/v1/flags', { key: 'ofrep-hidden' })
    await server.api('PATCH', `${ENV}/flags/ofrep-beta`, {
      enabled: true,
      cohorts: [
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 },
        { name: 'eu-canary', conditions: [{ attribute: 'region', operator: 'in', values: ['eu'] }], rollout: 50 },
      ],
    })
    await server.api('PATCH', `${ENV}/flags/ofrep-hidden`, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  })
  afterAll(async () => {
    await OpenFeature.close()
    await server.close()
  })

  it('evaluates with reason and variant: beta list TARGETING_MATCH, regional canary SPLIT or DEFAULT, no match DEFAULT', async () => {
    const client = await clientFor(serverKey)
    expect(await client.getBooleanDetails('ofrep-beta', false, { targetingKey: 'alice' })).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      flagMetadata: { canaryReason: 'cohort:beta' },
    })
    expect(await client.getBooleanDetails('ofrep-beta', true, { targetingKey: 'bob', region: 'us' })).toMatchObject({
      value: false,
      reason: 'DEFAULT',
      variant: 'off',
    })
    const seen = new Set<string>()
    for (let i = 0; i < 30; i++) {
      const d = await client.getBooleanDetails('ofrep-beta', false, { targetingKey: `eu-${i}`, region: 'eu' })
      seen.add(`${d.value}:${d.reason}`)
    }
    expect([...seen].sort()).toEqual(['false:DEFAULT', 'true:SPLIT'])
  })

  it('says FLAG_NOT_FOUND for an unknown flag, TYPE_MISMATCH for a non-boolean, TARGETING_KEY_MISSING for a split without one', async () => {
    const client = await clientFor(serverKey)
    expect(await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'a' })).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND', reason: 'ERROR' })
    expect(await client.getStringDetails('ofrep-beta', 'x', { targetingKey: 'alice' })).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' })
    expect(await client.getBooleanDetails('ofrep-beta', false, { region: 'eu' })).toMatchObject({ value: false, errorCode: 'TARGETING_KEY_MISSING' })
  })

  it('a client key cannot see a hidden flag: it is not found, like a missing one, with a generic reason only', async () => {
    const client = await clientFor(clientKey)
    const hidden = await client.getBooleanDetails('ofrep-hidden', false, { targetingKey: 'alice' })
    const missing = await client.getBooleanDetails('no-such-flag', false, { targetingKey: 'alice' })
    expect(hidden).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' })
    expect(hidden.errorCode).toBe(missing.errorCode)
    const visible = await client.getBooleanDetails('ofrep-beta', false, { targetingKey: 'alice' })
    expect(visible).toMatchObject({ value: true, reason: 'TARGETING_MATCH' })
    expect(visible.flagMetadata).toEqual({})
    // The server key sees it.
    expect(await (await clientFor(serverKey)).getBooleanValue('ofrep-hidden', false, { targetingKey: 'alice' })).toBe(true)
  })

  it('a change through the admin API is seen by the next evaluation', async () => {
    const client = await clientFor(serverKey)
    await server.api('PATCH', `${ENV}/flags/ofrep-beta`, { enabled: false })
    expect(await client.getBooleanDetails('ofrep-beta', true, { targetingKey: 'alice' })).toMatchObject({ value: false, reason: 'DISABLED' })
    await server.api('PATCH', `${ENV}/flags/ofrep-beta`, { enabled: true })
  })

  it('a wrong key is refused with 401: the provider raises its unauthorized error and the default stands', async () => {
    const client = await clientFor('cf_server_wrong-key')
    // This provider version has no initialize step to fail; the refusal surfaces on each evaluation.
    let raised: unknown
    client.addHooks({ error: (_hookContext, error) => void (raised = error) })
    const details = await client.getBooleanDetails('ofrep-beta', true, { targetingKey: 'alice' })
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'GENERAL' })
    expect((raised as Error).name).toBe('OFREPApiUnauthorizedError')
    expect((raised as { response: Response }).response.status).toBe(401)
  })
})
