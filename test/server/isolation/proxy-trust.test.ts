import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../helpers/server.ts'

/** Finding 10 of issue 25: forwarded requests from a proxy the server does not trust are pointed out. */
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const forwarded = (url: string) =>
  fetch(`${url}/api/v1/environments`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'x-forwarded-for': '198.51.100.7' } })

describe('an untrusted proxy', () => {
  it('is warned about on the first forwarded request, then at most once a minute', async () => {
    let clock = 1_800_000_000_000
    const logged: string[] = []
    server = await startTestServer({ now: () => clock, log: (message) => void logged.push(message) })
    const warnings = () => logged.filter((m) => m.includes('X-Forwarded-For arrive from'))
    expect((await fetch(`${server.url}/api/v1/environments`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).status).toBe(200)
    expect(warnings()).toHaveLength(0)
    expect((await forwarded(server.url)).status).toBe(200)
    expect(warnings()).toEqual([expect.stringMatching(/^WARNING: requests with X-Forwarded-For arrive from 127\.0\.0\.1, a proxy that is not trusted \(CANARY_TRUSTED_PROXIES=0\)/)])
    await forwarded(server.url)
    expect(warnings()).toHaveLength(1)
    clock += 60_000
    await forwarded(server.url)
    expect(warnings()).toHaveLength(2)
  })

  it('is not warned about once the operator trusts it', async () => {
    const logged: string[] = []
    server = await startTestServer({ clientLimits: { trustedProxies: 1 }, log: (message) => void logged.push(message) })
    expect((await forwarded(server.url)).status).toBe(200)
    expect(logged.filter((m) => m.includes('X-Forwarded-For'))).toEqual([])
  })
})
