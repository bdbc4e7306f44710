import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { runMain } from '../cli/run-cli.ts'

/**
 * A real trip told everywhere with the same figures: a flag healthy for a stretch (1% errors
 * against a 5% limit, 100,000 canary exposures) then failing (20% of 2,000), so the change
 * detector fires while the rate since the start is still far under the limit. The server's log,
 * the API's trip record, the audit entry, the webhook body and the CLI's `guard show` and `audit` must all
 * tell the same sentence, with the counts and rate since the rise began and when, beside the
 * rate since the start. (The console's banner and audit log: test/console/console.test.ts.)
 */

const FLAG = '/api/v1/environments/production/flags/checkout-v2'
let server: TestServer
let hook: Server
let hookUrl: string
const hookBodies: any[] = []
const logs: string[] = []

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      hookBodies.push(JSON.parse(body))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
  // The receiver listens on loopback, which only the operator's allow-list opens.
  server = await startTestServer({ log: (message) => logs.push(message), webhook: { allow: ['127.0.0.1'] } })
})

afterAll(async () => {
  await server?.close()
  await new Promise((resolve) => hook?.close(resolve))
})

/** Posts one metrics batch with a server key: `[canary exposures, errors, control exposures, errors]`. */
async function report(key: string, id: string, counts: [number, number, number, number]) {
  const now = Date.now()
  const res = await server.api('POST', '/api/v1/metrics', { batch: { id, start: now - 5000, end: now, flags: { 'checkout-v2': counts } } }, key)
  expect(res.status).toBe(200)
}

describe('a change-detector trip in words', () => {
  it('tells the same figures in the log, API, audit entry, webhook and CLI: the rise, when it began, and the rate since the start', { timeout: 60_000 }, async () => {
    const key = await server.createKey('server', 'production')
    await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
    await server.api('PATCH', FLAG, { enabled: true, cohorts: [{ name: 'canary', conditions: [], rollout: 10 }] })
    expect((await server.api('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05, webhookUrl: hookUrl })).status).toBe(200)

    // The healthy stretch, fed to the tests (its own second) before the rise begins.
    await report(key, 'healthy-1', [100_000, 1_000, 900_000, 9_000])
    await vi.waitFor(async () => expect((await server.api('GET', `${FLAG}/guard`)).json.decision?.figures.canaryExposures).toBe(100_000), { timeout: 20_000, interval: 50 })
    const beforeRise = Date.now()
    await report(key, 'failing-1', [2_000, 400, 18_000, 180])
    await vi.waitFor(async () => expect((await server.api('GET', FLAG)).json.enabled).toBe(false), { timeout: 20_000, interval: 50 })

    // The API's record: the change detector, the span since the rise, and its words.
    const trip = (await server.api('GET', FLAG)).json.guard.lastTrip
    expect(trip).toMatchObject({ rule: 'max_error_rate', test: 'change' })
    expect(trip.span).toMatchObject({ from: 'rise', seconds: 1, canaryTrials: 2_000, canaryEvents: 400, controlTrials: 18_000, controlEvents: 180 })
    expect(trip.span.since).toBeGreaterThanOrEqual(beforeRise - 1000)
    const began = `${new Date(trip.span.since).toISOString().slice(0, 19).replace('T', ' ')} UTC`
    const summary: string = trip.summary
    expect(summary).toContain(`the change detector saw a rise that began at ${began} (counts from 1 second)`)
    expect(summary).toContain("since then the canary's error rate is 20.0% (400 errors in 2,000 exposures), over the limit of 5.00%")
    // Beside it, the rate since the start: 1,400 of 102,000, far under the limit, said as such.
    expect(summary).toContain("the canary's rate is 1.37% (1,400 errors in 102,000 exposures)")
    expect(summary).not.toMatch(/1\.37%\)? is over the limit/)

    // The audit entry and the webhook carry the same record, words and all.
    const audit = (await server.api('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
    expect(audit).toMatchObject({ actor: 'guard', action: 'guard.trip', details: { summary, span: trip.span } })
    await vi.waitFor(() => expect(hookBodies).toHaveLength(1), { timeout: 20_000, interval: 50 })
    expect(hookBodies[0]).toMatchObject({ type: 'guard.trip', flag: 'checkout-v2', summary, span: trip.span })
    // The server's log line.
    expect(logs.find((line) => line.startsWith('guard: turned checkout-v2 off'))).toContain(summary)

    // The CLI's `guard show`.
    const show = await runMain(['guard', 'show', 'checkout-v2', '--env', 'production'], { CANARY_URL: server.url, CANARY_KEY: server.adminKey })
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`change detector; ${summary}`)
    // And `canary audit`, under its table.
    const log = await runMain(['audit', '--flag', 'checkout-v2'], { CANARY_URL: server.url, CANARY_KEY: server.adminKey })
    expect(log.code).toBe(0)
    const why = log.stdout.split('\n').find((line) => line.startsWith('why the guard turned checkout-v2 off in production at '))
    expect(why?.endsWith(`UTC: ${summary}`)).toBe(true)
  })
})
