import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../../sdk/index.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/**
 * A typo in a flag key is loud once and cheap: one warning through the SDK's logger and one
 * `unknownFlag` event per key, however often it is asked for, and the server counts it in the
 * connections list. Real server on loopback, real socket, real SQLite.
 */
describe('Node SDK: an unknown flag key', () => {
  let server: TestServer
  let flags: FlagClient | undefined

  beforeAll(async () => {
    server = await startTestServer()
    expect((await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })).status).toBe(201)
  })
  afterAll(async () => {
    await flags?.close({ timeoutMs: 500 })
    await server.close()
  })

  it('50 calls with a typo: one warning, one event, and unknownFlags 1 in GET /connections', async () => {
    const key = await server.createKey('server', 'production')
    const warnings: string[] = []
    flags = createClient({
      url: server.url,
      key,
      sdkName: 'typo-service',
      flushIntervalMs: 100,
      logger: { warn: (message) => warnings.push(message) },
    })
    const events: string[] = []
    flags.on('unknownFlag', (flag) => events.push(flag))
    await flags.ready({ timeoutMs: 10_000 })

    for (let i = 0; i < 50; i++) expect(flags.isEnabled('chekout-v2', { userId: `u${i}` })).toBe(false)
    expect(flags.explain('chekout-v2', { userId: 'u1' })).toEqual({ enabled: false, reason: 'unknown_flag' })
    expect(flags.isEnabled('checkout-v2', { userId: 'u1' })).toBe(false) // known (off): no warning

    expect(events).toEqual(['chekout-v2'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^unknown flag "chekout-v2": .*check the key/)

    const count = async () => {
      const list = await server.api('GET', '/api/v1/connections')
      return list.json.items.find((c: { sdk: string | null }) => c.sdk === 'typo-service')?.unknownFlags
    }
    await vi.waitFor(async () => expect(await count()).toBe(1), { timeout: 20_000, interval: 100 })
    // Asked for again in later batches' intervals, the key is not reported again.
    for (let i = 0; i < 50; i++) flags.isEnabled('chekout-v2', { userId: `v${i}` })
    expect(warnings).toHaveLength(1)
  })

  it('before any state is held, a key is not called unknown (the answer is not_ready)', async () => {
    const key = await server.createKey('server', 'production')
    const warnings: string[] = []
    const offline = createClient({ url: 'http://127.0.0.1:9', key, logger: { warn: (m) => warnings.push(m) } })
    try {
      expect(offline.explain('chekout-v2')).toEqual({ enabled: false, reason: 'not_ready' })
      expect(offline.isEnabled('chekout-v2')).toBe(false)
      expect(warnings.filter((w) => w.startsWith('unknown flag'))).toEqual([])
    } finally {
      await offline.close({ timeoutMs: 100 })
    }
  })
})
