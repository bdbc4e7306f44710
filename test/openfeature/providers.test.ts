import { OpenFeature as ServerOpenFeature, ProviderEvents as ServerEvents, type EvaluationContext } from '@openfeature/server-sdk'
import { OpenFeature as WebOpenFeature, ProviderEvents as WebEvents } from '@openfeature/web-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CanaryFlagsProvider } from '../../openfeature/src/server.ts'
import { CanaryFlagsWebProvider } from '../../openfeature/src/web.ts'
import { createClient } from '../../sdk/index.ts'
import { genericReason } from '../../sdk/core/generic-reason.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { specCases } from '../helpers/spec-cases.ts'

/**
 * Our providers through the published OpenFeature SDKs, unmodified: the shared spec cases give
 * the same answers through OpenFeature as through `isEnabled`; provider events come in order on
 * a change, a lost server and a revoked key; `track('error')` reaches the guard's counts.
 */

let domains = 0
const nextDomain = () => `canary-test-${++domains}`

describe('server provider: the shared spec cases through OpenFeature equal isEnabled', () => {
  afterAll(() => ServerOpenFeature.close())

  it.each(specCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const flags = createClient({
      url: 'http://127.0.0.1:9',
      key: 'cf_server_contract',
      logger: {},
      bootstrap: { environment: 'production', version: 1, flags: [c.flag], segments: c.segments ?? [] },
    })
    const domain = nextDomain()
    await ServerOpenFeature.setProviderAndWait(domain, new CanaryFlagsProvider({ client: flags }))
    const client = ServerOpenFeature.getClient(domain)
    const context = c.user as EvaluationContext
    const details = await client.getBooleanDetails('checkout-v2', false, context)
    try {
      expect(details.value).toBe(flags.isEnabled('checkout-v2', c.user))
      expect(details.value).toBe(c.expected.enabled)
      if (details.errorCode === undefined) {
        expect(details.variant).toBe(details.value ? 'on' : 'off')
        const split = c.flag.cohorts.some((k) => `cohort:${k.name}` === c.expected.reason && k.rollout < 100)
        expect(details.reason).toBe(genericReason(c.expected.reason, { split }))
      } else {
        expect(details.reason).toBe('ERROR')
        expect(['FLAG_NOT_FOUND', 'PARSE_ERROR', 'TARGETING_KEY_MISSING']).toContain(details.errorCode)
      }
      // Other types: TYPE_MISMATCH with the default.
      const asString = await client.getStringDetails('checkout-v2', 'x', context)
      expect(asString).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH', reason: 'ERROR' })
    } finally {
      await flags.close({ timeoutMs: 0 })
    }
  })

  it('says FLAG_NOT_FOUND for an unknown flag and TARGETING_KEY_MISSING for a split without one', async () => {
    const flags = createClient({
      url: 'http://127.0.0.1:9',
      key: 'cf_server_contract',
      logger: {},
      bootstrap: {
        environment: 'production',
        version: 1,
        flags: [{ key: 'half', enabled: true, salt: 'half', stickiness: 'userId', cohorts: [{ name: 'half', conditions: [], rollout: 50 }], version: 1 }],
        segments: [],
      },
    })
    const domain = nextDomain()
    await ServerOpenFeature.setProviderAndWait(domain, new CanaryFlagsProvider({ client: flags }))
    const client = ServerOpenFeature.getClient(domain)
    expect(await client.getBooleanDetails('nope', true, { targetingKey: 'a' })).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' })
    expect(await client.getBooleanDetails('half', false, { region: 'eu' })).toMatchObject({ value: false, errorCode: 'TARGETING_KEY_MISSING' })
    const split = await client.getBooleanDetails('half', false, { targetingKey: 'someone' })
    expect(split.reason).toBe(split.value ? 'SPLIT' : 'DEFAULT')
    await flags.close({ timeoutMs: 0 })
  })
})

/** Provider events with their changed keys, in arrival order. */
function recorder() {
  const seen: string[] = []
  return {
    seen,
    push: (name: string, flagsChanged?: unknown) => seen.push(Array.isArray(flagsChanged) ? `${name}:${flagsChanged.join(",")}` : name),
  }
}

describe('providers against a real server', () => {
  let server: TestServer
  const FLAG = 'of-flag'
  const ENV = '/api/v1/environments/development'

  const createKey = async (kind: 'server' | 'client') => {
    const res = await server.api('POST', '/api/v1/keys', { name: `of-${kind}`, kind, environment: 'development' })
    return { id: res.json.id as string, secret: res.json.secret as string }
  }

  beforeAll(async () => {
    server = await startTestServer()
    await server.api('POST', '/api/v1/flags', { key: FLAG, clientSide: true })
    await server.api('PATCH', `${ENV}/flags/${FLAG}`, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
  })
  afterAll(async () => {
    await ServerOpenFeature.close()
    await WebOpenFeature.close()
    await server.close()
  })

  it('server provider: READY, CONFIGURATION_CHANGED with the key, STALE after the grace period, READY again, ERROR on revocation', async () => {
    const key = await createKey('server')
    const provider = new CanaryFlagsProvider({ url: server.url, key: key.secret, staleAfterMs: 200, logger: {} })
    const events = recorder()
    for (const name of [ServerEvents.Ready, ServerEvents.ConfigurationChanged, ServerEvents.Stale, ServerEvents.Error])
      provider.events.addHandler(name, (details) => events.push(name, details?.flagsChanged))
    const domain = nextDomain()
    const client = ServerOpenFeature.getClient(domain)
    client.addHandler(ServerEvents.Ready, () => events.push('client:READY'))
    await ServerOpenFeature.setProviderAndWait(domain, provider)
    expect(await client.getBooleanValue(FLAG, false, { targetingKey: 'u1' })).toBe(true)

    await server.api('PATCH', `${ENV}/flags/${FLAG}`, { enabled: false })
    await expect.poll(() => events.seen, { timeout: 10_000 }).toContain(`${ServerEvents.ConfigurationChanged}:${FLAG}`)
    expect(await client.getBooleanDetails(FLAG, true, { targetingKey: 'u1' })).toMatchObject({ value: false, reason: 'DISABLED', variant: 'off' })

    await server.stop()
    await expect.poll(() => events.seen, { timeout: 10_000 }).toContain(ServerEvents.Stale)
    // Still answering from the last known state.
    expect(await client.getBooleanValue(FLAG, true, { targetingKey: 'u1' })).toBe(false)
    await server.restart()
    await expect.poll(() => events.seen.filter((e) => e === ServerEvents.Ready).length, { timeout: 20_000 }).toBe(1)

    await server.api('DELETE', `/api/v1/keys/${key.id}`)
    await expect.poll(() => events.seen, { timeout: 10_000 }).toContain(ServerEvents.Error)
    expect(events.seen).toEqual([
      'client:READY',
      `${ServerEvents.ConfigurationChanged}:${FLAG}`,
      ServerEvents.Stale,
      ServerEvents.Ready,
      'client:READY',
      ServerEvents.Error,
    ])
    await server.api('PATCH', `${ENV}/flags/${FLAG}`, { enabled: true })
  }, 60_000)

  it('server provider: a refused key makes initialization fatal', async () => {
    const domain = nextDomain()
    const provider = new CanaryFlagsProvider({ url: server.url, key: 'cf_server_not-a-key', logger: {} })
    await expect(ServerOpenFeature.setProviderAndWait(domain, provider)).rejects.toThrow()
    expect(ServerOpenFeature.getClient(domain).providerStatus).toBe('FATAL')
    const details = await ServerOpenFeature.getClient(domain).getBooleanDetails(FLAG, true)
    expect(details).toMatchObject({ value: true, errorCode: 'PROVIDER_FATAL' })
  })

  it("track('error') and track('duration') with the flag reach the guard's counts (event name configurable)", async () => {
    const key = await createKey('server')
    const provider = new CanaryFlagsProvider({ url: server.url, key: key.secret, errorEvent: 'checkout-failed', logger: {} })
    const domain = nextDomain()
    await ServerOpenFeature.setProviderAndWait(domain, provider)
    const client = ServerOpenFeature.getClient(domain)
    for (let i = 0; i < 3; i++) {
      expect(await client.getBooleanValue(FLAG, false, { targetingKey: `buyer-${i}` })).toBe(true)
      client.track('checkout-failed', { targetingKey: `buyer-${i}` }, { flag: FLAG })
      client.track('error', { targetingKey: `buyer-${i}` }, { flag: FLAG }) // not the configured name
      client.track('duration', { targetingKey: `buyer-${i}` }, { flag: FLAG, value: 120 + i })
    }
    // Closing the provider flushes the SDK's counts.
    await ServerOpenFeature.clearProviders()
    const counted = async () => {
      const metrics = await server.api('GET', `${ENV}/flags/${FLAG}/metrics`)
      const rows = metrics.json.minutes as Array<{ canaryExposures: number; canaryErrors: number; canaryTimed: number }>
      return rows.reduce(
        (t, r) => ({ exposures: t.exposures + r.canaryExposures, errors: t.errors + r.canaryErrors, timed: t.timed + r.canaryTimed }),
        { exposures: 0, errors: 0, timed: 0 },
      )
    }
    await expect.poll(async () => (await counted()).errors, { timeout: 10_000 }).toBe(3)
    expect((await counted()).exposures).toBeGreaterThanOrEqual(3)
    // track('duration', …, { value }) reached the latency counts: three timed requests.
    expect((await counted()).timed).toBe(3)
  })

  it('web provider: follows the context, emits CONFIGURATION_CHANGED, ERROR on revocation; hidden flags are not found', async () => {
    await server.api('POST', '/api/v1/flags', { key: 'of-beta', clientSide: true })
    await server.api('POST', '/api/v1/flags', { key: 'of-hidden' })
    await server.api('PATCH', `${ENV}/flags/of-beta`, {
      enabled: true,
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 }],
    })
    await server.api('PATCH', `${ENV}/flags/of-hidden`, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })
    const key = await createKey('client')
    const provider = new CanaryFlagsWebProvider({ url: server.url, key: key.secret, logger: {} })
    const events = recorder()
    for (const name of [WebEvents.ConfigurationChanged, WebEvents.Error])
      provider.events.addHandler(name, (details) => events.push(name, details?.flagsChanged))
    const domain = nextDomain()
    await WebOpenFeature.setProviderAndWait(domain, provider, { targetingKey: 'alice' })
    const client = WebOpenFeature.getClient(domain)
    expect(client.getBooleanDetails('of-beta', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH', variant: 'on' })
    expect(client.getBooleanDetails('of-hidden', false)).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' })
    expect(client.getNumberDetails('of-beta', 1)).toMatchObject({ value: 1, errorCode: 'TYPE_MISMATCH' })

    await WebOpenFeature.setContext(domain, { targetingKey: 'bob' })
    expect(client.getBooleanDetails('of-beta', true)).toMatchObject({ value: false, reason: 'DEFAULT', variant: 'off' })

    await server.api('PATCH', `${ENV}/flags/of-beta`, { enabled: false })
    await expect.poll(() => events.seen, { timeout: 10_000 }).toContain(`${WebEvents.ConfigurationChanged}:of-beta`)
    expect(client.getBooleanDetails('of-beta', true)).toMatchObject({ value: false, reason: 'DISABLED' })

    await server.api('DELETE', `/api/v1/keys/${key.id}`)
    await expect.poll(() => events.seen, { timeout: 10_000 }).toContain(WebEvents.Error)
    expect(events.seen).toEqual([`${WebEvents.ConfigurationChanged}:of-beta`, WebEvents.Error])
  })
})
