import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createClient } from '../../../sdk/index.ts'
import type { ClientError, ClientOptions, FlagClient } from '../../../sdk/index.ts'
import { metricsPoster } from '../../../sdk/client/post-metrics.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/** The Node SDK against a real server: real sockets, real SQLite, the admin API to make changes. */

const ENV = 'development'
const everyone = [{ name: 'everyone', conditions: [], rollout: 100 }]
const betaOnly = [
  { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['beta-1'] }], rollout: 100 },
]

const clients: FlagClient[] = []
const open = (options: ClientOptions) => {
  const client = createClient({ logger: {}, ...options })
  clients.push(client)
  return client
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close({ timeoutMs: 500 })))
})

const waitFor = <T>(check: () => T, timeout = 5000) => vi.waitFor(check, { timeout, interval: 20 })

async function createFlag(server: TestServer, key: string, state: Record<string, unknown>) {
  const created = await server.api('POST', '/api/v1/flags', { key, clientSide: true })
  expect(created.status).toBe(201)
  await setState(server, key, state)
}

async function setState(server: TestServer, key: string, state: Record<string, unknown>) {
  const patched = await server.api('PATCH', `/api/v1/environments/${ENV}/flags/${key}`, state)
  expect(patched.status, JSON.stringify(patched.json)).toBe(200)
}

describe('Node SDK with a live server', () => {
  let server: TestServer
  let serverKey: string
  let clientKey: string

  beforeAll(async () => {
    server = await startTestServer()
    serverKey = await server.createKey('server')
    clientKey = await server.createKey('client')
  })
  afterAll(() => server.close())

  it('server key: becomes ready and sees a flag flipped through the admin API', async () => {
    await createFlag(server, 'checkout-v2', { enabled: true, cohorts: everyone })
    const flags = open({ url: server.url, key: serverKey })
    await flags.ready({ timeoutMs: 5000 })
    expect(flags.status).toBe('ready')
    expect(flags.isEnabled('checkout-v2', { userId: 'u1' })).toBe(true)

    const changes: string[][] = []
    flags.on('change', (keys) => changes.push(keys))
    await setState(server, 'checkout-v2', { enabled: false })
    await waitFor(() => expect(flags.isEnabled('checkout-v2', { userId: 'u1' })).toBe(false))
    expect(changes).toContainEqual(['checkout-v2'])
    expect(flags.explain('checkout-v2', { userId: 'u1' })).toEqual({ enabled: false, reason: 'off' })
  })

  it('client key: gets the results for its user, and new ones after a change', async () => {
    await createFlag(server, 'beta-banner', { enabled: true, cohorts: betaOnly })
    const beta = open({ url: server.url, key: clientKey, user: { userId: 'beta-1' } })
    const other = open({ url: server.url, key: clientKey, user: { userId: 'someone' } })
    await Promise.all([beta.ready({ timeoutMs: 5000 }), other.ready({ timeoutMs: 5000 })])
    // Client keys get OpenFeature's generic reasons, never a cohort name.
    expect(beta.explain('beta-banner')).toEqual({ enabled: true, reason: 'TARGETING_MATCH' })
    expect(other.explain('beta-banner')).toEqual({ enabled: false, reason: 'DEFAULT' })

    await setState(server, 'beta-banner', { cohorts: everyone })
    await waitFor(() => expect(other.isEnabled('beta-banner')).toBe(true))
    expect(beta.explain('beta-banner')).toEqual({ enabled: true, reason: 'TARGETING_MATCH' })
  })

  it('client key: identify switches to the new user’s results', async () => {
    await createFlag(server, 'identify-me', { enabled: true, cohorts: betaOnly })
    const flags = open({ url: server.url, key: clientKey, user: { userId: 'anonymous' } })
    await flags.ready({ timeoutMs: 5000 })
    expect(flags.isEnabled('identify-me')).toBe(false)
    await flags.identify({ userId: 'beta-1' })
    expect(flags.isEnabled('identify-me')).toBe(true)
  })

  it('a wrong key: ready() rejects, one error, and no retrying', async () => {
    const errors: ClientError[] = []
    const flags = open({ url: server.url, key: 'cf_server_not-a-real-key', onError: (e) => errors.push(e) })
    await expect(flags.ready({ timeoutMs: 5000 })).rejects.toMatchObject({ code: 'unauthorized' })
    // 'fatal' is the state in which no reconnect is scheduled; that none ever follows, however
    // long one waits, is checked with a fake clock in connection.test.ts ('stops for good …').
    expect(flags.status).toBe('fatal')
    expect(errors.map((e) => e.code)).toEqual(['unauthorized'])
  })

  it('a revoked key: the open client stops, reports once, and keeps its last answers', async () => {
    await createFlag(server, 'revocation', { enabled: true, cohorts: everyone })
    const created = await server.api('POST', '/api/v1/keys', { name: 'doomed', kind: 'server', environment: ENV })
    const errors: ClientError[] = []
    const flags = open({ url: server.url, key: created.json.secret, onError: (e) => errors.push(e) })
    await flags.ready({ timeoutMs: 5000 })
    expect((await server.api('DELETE', `/api/v1/keys/${created.json.id}`)).status).toBe(200)
    await waitFor(() => expect(flags.status).toBe('fatal'))
    // No reconnect after 'fatal': connection.test.ts checks it with a fake clock (4401).
    expect(errors.map((e) => e.code)).toEqual(['unauthorized'])
    expect(flags.isEnabled('revocation', { userId: 'u1' })).toBe(true)
  })

  it('reports guard counts over the socket; the server ingests them', async () => {
    await createFlag(server, 'counted', {
      enabled: true,
      cohorts: [{ name: 'half', conditions: [], rollout: 50 }],
    })
    const flags = open({ url: server.url, key: serverKey, flushIntervalMs: 100 })
    await flags.ready({ timeoutMs: 5000 })
    let canary = 0
    let control = 0
    for (let i = 0; i < 200; i++) {
      const user = { userId: `user-${i}` }
      if (flags.isEnabled('counted', user)) canary++
      else control++
      if (i % 10 === 0) flags.recordError('counted', user)
    }
    expect(canary).toBeGreaterThan(0)
    expect(control).toBeGreaterThan(0)
    await waitFor(async () => {
      const metrics = await server.api('GET', `/api/v1/environments/${ENV}/flags/counted/metrics`)
      const rows = metrics.json.minutes as Array<Record<string, number>>
      const sum = (field: string) => rows.reduce((total, row) => total + (row[field] ?? 0), 0)
      expect(sum('canaryExposures')).toBe(canary)
      expect(sum('controlExposures')).toBe(control)
      expect(sum('canaryErrors') + sum('controlErrors')).toBe(20)
    })
  })

  it('the HTTP fallback delivers a batch, and a resent batch is accepted without double counting', async () => {
    await createFlag(server, 'posted', { enabled: true, cohorts: everyone })
    const post = metricsPoster(`${server.url}/api/v1/metrics`, serverKey)
    const batch = { id: 'http-fallback-1', start: Date.now() - 1000, end: Date.now(), flags: { posted: [5, 1, 0, 0] as [number, number, number, number] } }
    expect(await post(batch)).toBe('delivered')
    expect(await post(batch)).toBe('delivered')
    const metrics = await server.api('GET', `/api/v1/environments/${ENV}/flags/posted/metrics`)
    const rows = metrics.json.minutes as Array<Record<string, number>>
    expect(rows.reduce((total, row) => total + (row.canaryExposures ?? 0), 0)).toBe(5)
    const refused = metricsPoster(`${server.url}/api/v1/metrics`, 'cf_server_wrong')
    expect(await refused(batch)).toBe('drop')
  })
})

describe('Node SDK cache and restarts', () => {
  let server: TestServer
  let directory: string

  beforeAll(async () => {
    server = await startTestServer()
    directory = mkdtempSync(join(tmpdir(), 'canary-flags-cache-'))
  })
  afterAll(async () => {
    await server.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('a client started while the server is down answers from the cache, then catches up', async () => {
    const key = await server.createKey('server')
    const cache = join(directory, 'nested', 'flags.json')
    await createFlag(server, 'cached', { enabled: true, cohorts: everyone })

    const first = open({ url: server.url, key, cache })
    await first.ready({ timeoutMs: 5000 })
    await first.close()
    const entry = JSON.parse(readFileSync(cache, 'utf8'))
    expect(entry.snapshot.flags.map((f: { key: string }) => f.key)).toContain('cached')

    await server.stop()
    const second = open({ url: server.url, key, cache })
    await second.ready({ timeoutMs: 100 })
    expect(second.status).toBe('stale')
    expect(second.isEnabled('cached', { userId: 'u1' })).toBe(true)

    // Back up, with a change made while this client was away: it resumes from its version.
    await server.restart()
    await setState(server, 'cached', { enabled: false })
    await waitFor(() => expect(second.isEnabled('cached', { userId: 'u1' })).toBe(false), 15_000)
    expect(second.status).toBe('ready')
  }, 30_000)

  it('reconnects after a restart and misses none of the changes made meanwhile', async () => {
    const key = await server.createKey('server')
    await createFlag(server, 'restart-a', { enabled: true, cohorts: everyone })
    await createFlag(server, 'restart-b', { enabled: true, cohorts: everyone })
    const flags = open({ url: server.url, key })
    await flags.ready({ timeoutMs: 5000 })
    const disconnected = vi.fn()
    flags.on('disconnected', disconnected)

    await server.stop()
    await waitFor(() => expect(disconnected).toHaveBeenCalled())
    expect(flags.isEnabled('restart-a', { userId: 'u1' })).toBe(true)
    await server.restart()
    await setState(server, 'restart-a', { enabled: false })
    await setState(server, 'restart-b', { enabled: false })
    await waitFor(() => {
      expect(flags.isEnabled('restart-a', { userId: 'u1' })).toBe(false)
      expect(flags.isEnabled('restart-b', { userId: 'u1' })).toBe(false)
    }, 15_000)
  }, 30_000)
})
