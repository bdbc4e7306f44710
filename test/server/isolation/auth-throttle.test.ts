import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createAuthFailureThrottle } from '../../../server/rate-limit/auth-failures.ts'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../helpers/server.ts'

/** Finding 13: failed authentication is throttled per address; it delays, it never locks a key. */
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** A GET of the key list from `localAddress` (another loopback address is another client). */
function keysFrom(localAddress: string, key: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server!.url}/api/v1/keys`, { localAddress, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The status a WebSocket upgrade with `key` is refused with. */
function upgradeStatus(key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server!.url.replace('http', 'ws')}/api/v1/stream?env=production`, ['canary-flags.v1'], {
      headers: { authorization: `Bearer ${key}` },
    })
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      socket.terminate()
    })
    socket.on('open', () => reject(new Error('the upgrade was accepted')))
    socket.on('error', () => {})
  })
}

describe('failed authentication throttling', () => {
  it('answers 429 with Retry-After once an address has spent its failures, on HTTP and the upgrade, and never locks the key', async () => {
    let clock = 1_800_000_000_000
    server = await startTestServer({ now: () => clock, clientLimits: { authFailuresPerAddressPerMinute: 5 } })
    for (let i = 0; i < 4; i++) expect((await keysFrom('127.0.0.1', `wrong-key-${i}`)).status).toBe(401)
    expect(await upgradeStatus('wrong-key-ws')).toBe(401)
    // The budget is spent: a wrong key is answered 429, on HTTP and on the stream.
    const refused = await keysFrom('127.0.0.1', 'wrong-key-5')
    expect(refused).toEqual({ status: 429, retryAfter: '60' })
    expect(await upgradeStatus('wrong-key-ws')).toBe(429)
    // A valid key from the throttled address (a shared NAT: the on-call engineer behind the
    // attacker) is served at once, the kill switch included: nothing is locked or delayed.
    expect((await keysFrom('127.0.0.1', TEST_ADMIN_KEY)).status).toBe(200)
    await server.api('POST', '/api/v1/flags', { key: 'checkout' })
    const off = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server!.url}/api/v1/environments/production/flags/checkout`,
        { method: 'PATCH', localAddress: '127.0.0.1', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ enabled: false }))
    })
    expect(off).toBe(200)
    expect((await keysFrom('127.0.0.2', TEST_ADMIN_KEY)).status).toBe(200)
    // Wrong keys from the address are answered 401 again once the minute has moved on.
    clock += 60_000
    expect((await keysFrom('127.0.0.1', 'wrong-key-6')).status).toBe(401)
  })

  it('counts failures in a sliding minute and says how long to wait', () => {
    let clock = 0
    const throttle = createAuthFailureThrottle({ perMinute: 3, now: () => clock })
    for (const at of [0, 10_000, 20_000]) {
      clock = at
      throttle.admit('a')
      throttle.failed('a')
    }
    clock = 25_000
    expect(() => throttle.admit('a')).toThrow(expect.objectContaining({ status: 429, retryAfterSeconds: 35 }))
    expect(() => throttle.admit('b')).not.toThrow()
    clock = 60_000
    expect(() => throttle.admit('a')).not.toThrow()
  })
})
