/**
 * `npm run demo`: a canary release from start to finish in the terminal. Starts the server on a
 * temporary database, connects a simulated service (five SDK instances serving users), rolls a
 * canary out in steps on a plan that advances only while healthy, injects a bug, and shows the
 * guard switching the flag off everywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '../sdk/index.ts'
import { startServer } from '../server/main.ts'

const ADMIN = 'demo-admin-key-0123456789abcdef'
const dir = mkdtempSync(join(tmpdir(), 'canary-demo-'))
const server = await startServer(
  { port: 0, host: '127.0.0.1', databasePath: join(dir, 'demo.db'), adminKey: ADMIN, publicUrl: '' },
  { log: () => {} },
)
const started = Date.now()
const say = (line: string) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${line}`)

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`${method} ${path}: ${json.error?.message}`)
  return json
}

const FLAG = '/api/v1/environments/production/flags/checkout-v2'
say(`server on ${server.url} (console: ${server.url}/, admin key ${ADMIN})`)
const { secret } = await api('POST', '/api/v1/keys', { name: 'checkout-service', kind: 'server', environment: 'production' })
await api('POST', '/api/v1/flags', { key: 'checkout-v2', description: 'The new checkout' })
await api('PATCH', FLAG, {
  enabled: true,
  cohorts: [
    { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'bob'] }], rollout: 100 },
    { name: 'eu-canary', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 0 },
  ],
})
await api('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05, minExposures: 200, windowSeconds: 20 })
say('created checkout-v2: beta users alice and bob, an eu-west canary cohort, guard at 5% errors')

// The service: five SDK instances (think pods), each serving ~500 requests a second.
const pods = Array.from({ length: 5 }, () => createClient({ url: server.url, key: secret, logger: {}, flushIntervalMs: 1000 }))
await Promise.all(pods.map((p) => p.ready({ timeoutMs: 5000 })))
say(`5 SDKs connected; each evaluates in memory and reports exposures and errors every second`)
let bug = false
let served = 0
const stats = { newPath: 0 }
const traffic = setInterval(() => {
  for (const pod of pods)
    for (let i = 0; i < 5; i++) {
      const user = { userId: `user-${served++ % 20000}`, region: served % 3 === 0 ? 'eu-west' : 'us-east' }
      const onNewPath = pod.isEnabled('checkout-v2', user)
      if (onNewPath) stats.newPath++
      const failRate = onNewPath && bug ? 0.25 : 0.01
      if (Math.random() < failRate) pod.recordError('checkout-v2', user)
    }
}, 10)

await api('PUT', `${FLAG}/plan`, { cohort: 'eu-canary', steps: [5, 25, 50, 100], intervalSeconds: 4 })
say('rollout plan started: eu-canary 5% → 25% → 50% → 100%, a step every 4 s while healthy')

pods[0]!.on('change', () => {
  const state = pods[0]!.isEnabled('checkout-v2', { userId: 'alice' })
  if (!state) say('every SDK now answers false for checkout-v2: the canary is off')
})

let lastRollout = -1
let lastStatus = ''
for (let tick = 0; tick < 120; tick++) {
  await new Promise((r) => setTimeout(r, 500))
  const state = await api('GET', FLAG)
  const guard = await api('GET', `${FLAG}/guard`)
  const rollout = state.cohorts[1].rollout
  const f = guard.decision?.figures
  const rate = f && f.canaryExposures ? `${((f.canaryErrors / f.canaryExposures) * 100).toFixed(1)}%` : '–'
  if (rollout !== lastRollout || guard.status !== lastStatus) {
    say(`eu-canary at ${rollout}%  guard: ${guard.status}  canary error rate ${rate} over ${f?.canaryExposures ?? 0} exposures`)
    lastRollout = rollout
    lastStatus = guard.status
  }
  if (rollout >= 25 && !bug) {
    bug = true
    say('💥 a bug ships in the new checkout: 25% of its requests now fail')
  }
  if (guard.status === 'tripped') {
    const trip = guard.guard.lastTrip
    say(
      `guard tripped (${trip.rule}, ${trip.test} test): ${trip.figures.canaryErrors}/${trip.figures.canaryExposures} canary errors ` +
        `since the start; evidence ${trip.figures.maxErrorRate.statistic.toFixed(1)} ≥ threshold ${trip.figures.maxErrorRate.threshold.toFixed(1)} ` +
        `against a ${trip.limit * 100}% limit`,
    )
    await new Promise((r) => setTimeout(r, 300))
    const offEverywhere = pods.every((p) => !p.isEnabled('checkout-v2', { userId: 'alice' }))
    say(`flag off in production; all 5 SDKs agree: ${offEverywhere}; plan: ${state.plan?.status ?? (await api('GET', FLAG)).plan.status}`)
    const audit = await api('GET', '/api/v1/audit?flag=checkout-v2&limit=8')
    say('audit log (newest first):')
    for (const row of audit.items) console.log(`         ${new Date(row.at).toISOString()}  ${row.actor.padEnd(26)} ${row.action}`)
    break
  }
}
clearInterval(traffic)
await Promise.all(pods.map((p) => p.close({ timeoutMs: 500 })))
await server.close()
rmSync(dir, { recursive: true, force: true })
