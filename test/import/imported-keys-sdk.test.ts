import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/**
 * Keys as Unleash and LaunchDarkly name them, end to end: imported over HTTP, streamed over the
 * WebSocket to the Node SDK, changed through the admin API (percent-encoded in the path) and
 * seen by the SDK.
 */

const KEYS = ['Feature.Variants.C', 'Feature.UTF-8.Hellø_Wørld', 'Feature.UTF-8.😊_φriend_你好_🌍', 'MixedCase-key_1']

describe('source-named flag keys through the stream and the Node SDK', () => {
  let server: TestServer
  let flags: FlagClient
  beforeAll(async () => {
    server = await startTestServer()
    const file = { version: 2, features: KEYS.map((name) => ({ name, enabled: true, strategies: [{ name: 'default' }] })) }
    const imported = await server.api('POST', '/api/v1/import/unleash?environment=development', file)
    expect(imported.status).toBe(201)
    flags = createClient({ url: server.url, key: await server.createKey('server', 'development'), logger: {} })
    await flags.ready({ timeoutMs: 10_000 })
  })
  afterAll(async () => {
    await flags?.close({ timeoutMs: 500 })
    await server?.close()
  })

  it('evaluates every imported key and follows a change made through its encoded path', async () => {
    for (const key of KEYS) expect(flags.isEnabled(key, { userId: 'u1' }), key).toBe(true)
    const key = KEYS[2]!
    const off = await server.api('PATCH', `/api/v1/environments/development/flags/${encodeURIComponent(key)}`, { enabled: false })
    expect(off.status).toBe(200)
    await vi.waitFor(() => expect(flags.isEnabled(key, { userId: 'u1' })).toBe(false), { timeout: 10_000, interval: 20 })
    // Case is kept: a key differing only in case is another (unknown) flag.
    expect(flags.explain('feature.variants.c', { userId: 'u1' })).toEqual({ enabled: false, reason: 'unknown_flag' })
  })
})
