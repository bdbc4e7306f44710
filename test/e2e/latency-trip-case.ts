import { expect, vi } from 'vitest'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { seededRandom } from '../helpers/random.ts'
import type { TestServer } from '../helpers/server.ts'

/**
 * The latency rule end to end, on whichever store the server runs (guard-latency.test.ts on
 * SQLite, guard-latency.pg.test.ts on PostgreSQL): Node SDKs with a server key serve simulated
 * requests and report their durations over their sockets; the canary's slow share is three
 * times control's, so the server switches the flag off by the latency rule, every SDK hears it,
 * and the audit entry holds the latency figures and the trip's words. Nothing waits a fixed
 * time: each step waits for what it expects. `clients` collects the SDKs for the caller to close.
 */

const FLAG = '/api/v1/environments/production/flags/checkout-v2'

/** Simulated request durations: slow ones take 600–900 ms (over the 500 ms bound), the rest 20–80 ms. */
const duration = (slow: boolean, random: () => number) => (slow ? 600 + 300 * random() : 20 + 60 * random())

export async function latencyTripCase(server: TestServer, clients: FlagClient[]): Promise<void> {
  const key = await server.createKey('server', 'production')
  await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await server.api('PATCH', FLAG, {
    enabled: true,
    cohorts: [{ name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 20 }],
  })
  const set = await server.api('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05, latency: { slowerThanMs: 500, maxSlowRatioToControl: 2 } })
  expect(set.status).toBe(200)
  for (let i = 0; i < 4; i++) clients.push(createClient({ url: server.url, key, logger: {}, flushIntervalMs: 200 }))
  await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))
  const heard = clients.map((c) => new Promise<void>((resolve) => c.on('change', (keys) => keys.includes('checkout-v2') && resolve())))

  // Rounds of traffic until the flag is off: canary 30% slow, control 10% (3×), no errors.
  const random = seededRandom(23)
  for (let round = 0; round < 60 && (await server.api('GET', FLAG)).json.enabled; round++) {
    clients.forEach((flags, c) => {
      for (let i = 0; i < 100; i++) {
        const user = { userId: `user-${round}-${c}-${i}`, region: 'eu-west' }
        const canary = flags.isEnabled('checkout-v2', user)
        flags.recordDuration('checkout-v2', user, duration(random() < (canary ? 0.3 : 0.1), random))
      }
    })
    // The next round once this one's counts reached the guard (its figures moved), or the flag went off.
    const before = (await server.api('GET', `${FLAG}/guard`)).json.decision?.figures.canaryTimed ?? 0
    await vi.waitFor(
      async () => {
        const view = (await server.api('GET', `${FLAG}/guard`)).json
        expect(view.status === 'tripped' || (view.decision?.figures.canaryTimed ?? 0) > before).toBe(true)
      },
      { timeout: 20_000, interval: 100 },
    )
  }
  await vi.waitFor(async () => expect((await server.api('GET', FLAG)).json.enabled).toBe(false), { timeout: 20_000, interval: 200 })

  // Every SDK heard the change over its socket and now answers off.
  await Promise.all(heard)
  for (const c of clients) expect(c.explain('checkout-v2', { userId: 'user-0-0-0', region: 'eu-west' }).reason).toBe('off')

  const audit = (await server.api('GET', '/api/v1/audit?flag=checkout-v2&limit=1')).json.items[0]
  expect(audit).toMatchObject({ actor: 'guard', action: 'guard.trip', details: { rule: 'max_slow_ratio_to_control', limit: 2 } })
  const f = audit.details.figures
  expect(f.slowerThanMs).toBe(500)
  expect(f.canaryErrors).toBe(0)
  expect(f.canaryTimed).toBeGreaterThan(0)
  // The frozen shares are the counts' (slow ÷ timed), canary well above twice control's limit line.
  expect(f.canarySlowRate).toBeCloseTo(f.canarySlow / f.canaryTimed, 10)
  expect(f.controlSlowRate).toBeCloseTo(f.controlSlow / f.controlTimed, 10)
  expect(f.canarySlowRate).toBeGreaterThan(0.2)
  expect(f.controlSlowRate).toBeLessThan(0.15)
  expect(f.maxSlowRatioToControl.crossed).not.toBeNull()

  // Told in the rule's own figures: slow requests over timed requests, both arms, over the span the test counted.
  const span = audit.details.span
  const pct = (events: number, trials: number) => `${((events / trials) * 100).toFixed(events / trials < 0.1 ? 2 : 1)}%`
  const n = (x: number) => x.toLocaleString('en-US')
  expect(audit.details.summary).toContain(
    `the canary's share of requests slower than 500 ms is ${pct(span.canaryEvents, span.canaryTrials)} (${n(span.canaryEvents)} slow in ${n(span.canaryTrials)} timed requests) ` +
      `against the control's ${pct(span.controlEvents, span.controlTrials)} (${n(span.controlEvents)} slow in ${n(span.controlTrials)} timed requests)`,
  )
}
