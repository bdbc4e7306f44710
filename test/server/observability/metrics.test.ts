import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../../sdk/index.ts'
import { createLogger } from '../../../server/observability/logger.ts'
import { formatLine } from '../../../server/observability/pretty-stream.ts'
import { sample, scrape } from '../../helpers/prometheus.ts'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../helpers/server.ts'

/** Log lines the server wrote, parsed (LOG_FORMAT=json). */
const lines: Array<Record<string, unknown>> = []
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>)
    done()
  },
})

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ logger: createLogger({ format: 'json', level: 'info', destination: sink }) })
})
afterAll(() => server.close())

const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 15_000) => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('GET /metrics', () => {
  it('needs an admin key on the main port', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    const sdkKey = await server.createKey('server')
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${sdkKey}` } })).status).toBe(403)
  })

  it('parses as Prometheus text with process metrics and moves with a change', async () => {
    const before = await scrape(`${server.url}/metrics`, TEST_ADMIN_KEY)
    expect(sample(before, 'canary_process_resident_memory_bytes')).toBeGreaterThan(0)
    const version = sample(before, 'canary_environment_version', { environment: 'production' })

    expect((await server.api('POST', '/api/v1/flags', { key: 'metered' })).status).toBe(201)
    expect((await server.api('PATCH', '/api/v1/environments/production/flags/metered', { enabled: true })).status).toBe(200)
    expect((await server.api('PATCH', '/api/v1/environments/production/flags/metered', { enabled: 'yes' })).status).toBe(400)

    const after = await scrape(`${server.url}/metrics`, TEST_ADMIN_KEY)
    expect(sample(after, 'canary_environment_version', { environment: 'production' })).toBe(version + 2)
    expect(
      sample(after, 'canary_changes_accepted_total', { environment: 'production', actor: 'api' }) -
        sample(before, 'canary_changes_accepted_total', { environment: 'production', actor: 'api' }),
    ).toBe(2)
    expect(sample(after, 'canary_changes_refused_total', { status: '400' }) - sample(before, 'canary_changes_refused_total', { status: '400' })).toBe(1)
    // Routes are patterns, never raw paths with flag keys in them.
    const route = { method: 'PATCH', route: '/api/v1/environments/:env/flags/:key', status: '200' }
    expect(sample(after, 'canary_http_request_duration_seconds', route)).toBe(1)
    const routes = after.find((f) => f.name === 'canary_http_request_duration_seconds')!.samples.map((m) => m.labels.route)
    expect(routes.some((r) => r?.includes('metered'))).toBe(false)
  })

  it('counts SDK connections, fan-out and count batches as an SDK reports them', async () => {
    const key = await server.createKey('server', 'production')
    const flags = createClient({ url: server.url, key, logger: {}, flushIntervalMs: 100 })
    try {
      await flags.ready({ timeoutMs: 10_000 })
      const connected = () => scrape(`${server.url}/metrics`, TEST_ADMIN_KEY)
      await until('the SDK to be counted', async () =>
        sample(await connected(), 'canary_connected_sdks', { kind: 'server', environment: 'production' }) === 1,
      )
      const before = await connected()
      const fanOuts = sample(before, 'canary_change_fanout_seconds', { environment: 'production' })
      const batches = sample(before, 'canary_metric_batches_accepted_total', { environment: 'production' })

      // Half the users in: both arms are counted, so the SDK has a batch to send.
      const half = { enabled: true, cohorts: [{ name: 'half', conditions: [], rollout: 50 }] }
      expect((await server.api('PATCH', '/api/v1/environments/production/flags/metered', half)).status).toBe(200)
      // The API answers before the fan-out: wait for the cohort itself, not merely "not off".
      await until('the SDK to apply the change', () => ['cohort:half', 'outside_rollout'].includes(flags.explain('metered', { userId: 'u1' }).reason))
      for (let i = 0; i < 20; i++) flags.isEnabled('metered', { userId: `u${i}` })
      await until('a batch to be accepted', async () =>
        sample(await connected(), 'canary_metric_batches_accepted_total', { environment: 'production' }) > batches,
      )
      expect(sample(await connected(), 'canary_change_fanout_seconds', { environment: 'production' })).toBe(fanOuts + 1)

      // A batch refused before reaching the guard (malformed) is counted as refused.
      const refused = await fetch(`${server.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: { id: 'x', flags: 'nope' } }),
      })
      expect(refused.status).toBe(400)
      expect(sample(await connected(), 'canary_metric_batches_refused_total', { environment: 'production', reason: 'http_400' })).toBe(1)
    } finally {
      await flags.close()
    }
    await until('the SDK to be gone', async () =>
      sample(await scrape(`${server.url}/metrics`, TEST_ADMIN_KEY), 'canary_connected_sdks', { kind: 'server', environment: 'production' }) === 0,
    )
  })

  it('shows the guard state of a guarded flag', async () => {
    const guard = { maxErrorRate: 0.05, minExposures: 100, windowSeconds: 60 }
    const set = await server.api('PUT', '/api/v1/environments/production/flags/metered/guard', guard)
    expect(set.status, JSON.stringify(set.json)).toBe(200)
    const families = await scrape(`${server.url}/metrics`, TEST_ADMIN_KEY)
    const states = families.find((f) => f.name === 'canary_guard_state')!.samples.filter((m) => m.labels.flag === 'metered')
    expect(states).toHaveLength(1)
    expect(states[0]!.labels).toMatchObject({ environment: 'production', state: 'insufficient_data' })
  })
})

describe('logs', () => {
  it('has a JSON line for every request and every change, with the actor', () => {
    const request = lines.find((l) => l.msg === 'request' && l.method === 'POST' && l.path === '/api/v1/flags')
    expect(request).toMatchObject({ level: 'info', status: 201, route: '/api/v1/flags', actor: expect.stringContaining('bootstrap-admin') })
    expect(typeof request!.ms).toBe('number')
    const change = lines.find((l) => l.msg === 'change' && l.flag === 'metered' && l.environment === 'production' && l.version !== undefined && l.action !== 'flag.create')
    expect(change).toMatchObject({ type: 'flag', actor: expect.stringContaining('bootstrap-admin') })
  })

  it('logs successful SDK calls at debug only (none at info), refusals of them at info', async () => {
    const sdkKey = await server.createKey('server', 'production')
    const ofrep = await fetch(`${server.url}/ofrep/v1/evaluate/flags/metered`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u1' } }),
    })
    expect(ofrep.status).toBe(200)
    const evaluate = await fetch(`${server.url}/api/v1/environments/production/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flag: 'metered', user: { userId: 'u1' } }),
    })
    expect(evaluate.status).toBe(200)
    // Written after the two above: once its line is there, theirs would have been too.
    expect((await fetch(`${server.url}/ofrep/v1/evaluate/flags/metered`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    await until('the refusal\'s log line', () => lines.some((l) => l.msg === 'request' && l.route === '/ofrep/v1/evaluate/flags/:key' && l.status === 401))
    const sdkLines = lines.filter((l) => l.msg === 'request' && (l.route === '/ofrep/v1/evaluate/flags/:key' || l.route === '/api/v1/environments/:env/evaluate'))
    expect(sdkLines.map((l) => [l.route, l.status, l.level])).toEqual([['/ofrep/v1/evaluate/flags/:key', 401, 'info']])
  })

  it('logs successful admin reads at debug only, a refused read and every write at info', async () => {
    const path = '/api/v1/environments/production/flags'
    expect((await server.api('GET', `${path}/metered`)).status).toBe(200)
    expect((await server.api('GET', `${path}/no-such-flag`)).status).toBe(404)
    await until('the refused read\'s log line', () => lines.some((l) => l.msg === 'request' && l.path === `${path}/no-such-flag`))
    const reads = lines.filter((l) => l.msg === 'request' && l.method === 'GET' && String(l.path).startsWith(path))
    expect(reads.map((l) => [l.path, l.status, l.level])).toEqual([[`${path}/no-such-flag`, 404, 'info']])
    const write = lines.find((l) => l.msg === 'request' && l.method === 'PUT' && l.path === `${path}/metered/guard`)
    expect(write).toMatchObject({ level: 'info', status: 200 })
  })

  it('reads as one line per entry in a terminal, with the error stack after it', () => {
    expect(formatLine('{"level":"info","time":"2026-01-02T03:04:05.678Z","msg":"change","flag":"a b","version":3}')).toBe(
      '03:04:05.678 INFO  change flag="a b" version=3',
    )
    const error = formatLine('{"level":"error","time":"2026-01-02T03:04:05.678Z","msg":"failed","err":{"stack":"Error: x\\n    at y"}}')
    expect(error).toBe('03:04:05.678 ERROR failed\nError: x\n    at y')
    expect(formatLine('not json')).toBe('not json')
  })
})
