import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Io } from '../../server/cli/io.ts'
import { main } from '../../server/cli/main.ts'
import { startServer, type RunningServer } from '../../server/main.ts'
import { runMain } from './run-cli.ts'

const SLOW = 60_000
const ADMIN_KEY = 'cli-guard-admin-key-0123456789ab'
let dir: string
let server: RunningServer
let env: Record<string, string>
let serverKey: string
/** The server's clock runs `offset` ms ahead of the real one, so a test can make a plan step due. */
let offset = 0
const canary = (...args: string[]) => runMain(args, env)

async function api(method: string, path: string, body?: unknown, key = ADMIN_KEY) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : null }
}

/** A flag on in production with one cohort `everyone` at `rollout`%, and a guard. */
async function guardedFlag(key: string, rollout: number, guard: Record<string, unknown> = { maxErrorRate: 0.05 }) {
  expect((await api('POST', '/api/v1/flags', { key })).status).toBe(201)
  const patched = await api('PATCH', `/api/v1/environments/production/flags/${key}`, {
    enabled: true,
    cohorts: [{ name: 'everyone', conditions: [], rollout }],
  })
  expect(patched.status).toBe(200)
  expect((await api('PUT', `/api/v1/environments/production/flags/${key}/guard`, guard)).status).toBe(200)
}

const stateOf = async (key: string) => (await api('GET', `/api/v1/environments/production/flags/${key}`)).json

/** Polls `read` until `check` holds (the guard and planner tick on their own timer). */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read()
    if (check(value)) return value
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`never saw ${what}`)
}

/** An in-process Io that answers the confirmation question with `answer`, as a person at a terminal. */
function terminal(answer: string) {
  const out: string[] = []
  const err: string[] = []
  const questions: string[] = []
  const io: Io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { CANARY_URL: server.url, CANARY_KEY: ADMIN_KEY },
    interactive: true,
    ask: async (q) => {
      questions.push(q)
      return answer
    },
  }
  return { io, out, err, questions }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-cli-guard-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN_KEY, publicUrl: '' },
    { log: () => {}, now: () => Date.now() + offset, tickMs: 100 },
  )
  env = { CANARY_URL: server.url, CANARY_KEY: ADMIN_KEY }
  await api('POST', '/api/v1/flags', { key: 'checkout-v2' })
  await api('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
    enabled: true,
    cohorts: [{ name: 'everyone', conditions: [], rollout: 0 }],
  })
  const key = await api('POST', '/api/v1/keys', { name: 'checkout-service', kind: 'server', environment: 'production' })
  expect(key.status).toBe(201)
  serverKey = key.json.secret
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('canary guard and canary plan', () => {
  it('sets and shows a guard, then starts, pauses, resumes and cancels a plan', { timeout: SLOW }, async () => {
    const set = await canary(
      ...['guard', 'set', 'checkout-v2', '--env', 'production'],
      ...['--max-error-rate', '0.05', '--min-exposures', '500', '--window', '60', '--evidence', 'server'],
    )
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining('off above 5.00% errors') })
    expect(set.stdout).toContain('evidence: servers only')
    expect((await stateOf('checkout-v2')).guard).toMatchObject({ maxErrorRate: 0.05, minExposures: 500, windowSeconds: 60, evidence: 'server' })

    const show = await canary('guard', 'show', 'checkout-v2', '--env', 'production')
    expect(show.stdout).toMatch(/^checkout-v2 in production: guard collecting evidence$/m)
    expect(show.stdout).toMatch(/^how close to a trip: 0% \(no canary traffic counted yet\)$/m)
    expect(show.stdout).toContain('no trip before 500 canary exposures (0 so far)')
    expect(show.stdout).toMatch(/^recent 60 s: canary 0 errors in 0 exposures/m)

    const start = await canary(
      ...['plan', 'start', 'checkout-v2', '--env', 'production'],
      ...['--cohort', 'everyone', '--steps', '1,5,25', '--interval', '600', '--yes'],
    )
    // From 0% there is no canary to measure: the first step is the start; the next waits for evidence.
    expect(start.stdout).toContain('cohort everyone goes to 1% at once (at 0% there is no canary to measure); will go to 5% after 10 min if the canary shows it is under its limit, then to 25%')
    expect(start.stdout).toContain('plan started on checkout-v2 in production: cohort everyone goes to 1% at once')
    expect((await canary('plan', 'pause', 'checkout-v2', '--env', 'production')).stdout).toContain('paused at 1%')
    expect((await canary('plan', 'resume', 'checkout-v2', '--env', 'production')).stdout).toContain('active at 1%')
    expect((await canary('plan', 'cancel', 'checkout-v2', '--env', 'production')).stdout).toContain('cancelled at 1%')
    const again = await canary('plan', 'pause', 'checkout-v2', '--env', 'production')
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('409')
  })

  it('sets a latency rule with --slower-than-ms --max-slow-rate --max-slow-ratio, and says which bound is wrong', { timeout: SLOW }, async () => {
    const set = await canary(
      ...['guard', 'set', 'checkout-v2', '--env', 'production', '--max-error-rate', '0.05'],
      ...['--slower-than-ms', '500', '--max-slow-rate', '0.1', '--max-slow-ratio', '2'],
    )
    expect(set).toMatchObject({ code: 0, stdout: expect.stringContaining("over 10.0% or over 2× control's share of timed requests are slower than 500 ms") })
    expect((await stateOf('checkout-v2')).guard).toMatchObject({ latency: { slowerThanMs: 500, maxSlowRate: 0.1, maxSlowRatioToControl: 2 } })
    const show = await canary('guard', 'show', 'checkout-v2', '--env', 'production')
    expect(show.stdout).toContain('slower than 500 ms: canary no durations reported yet, control no durations reported yet')
    const before = (await stateOf('checkout-v2')).version
    const bad = await canary('guard', 'set', 'checkout-v2', '--env', 'production', '--max-error-rate', '0.05', '--slower-than-ms', '300', '--max-slow-rate', '0.1')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('latency.slowerThanMs: must be one of the duration bounds')
    const noBound = await canary('guard', 'set', 'checkout-v2', '--env', 'production', '--max-error-rate', '0.05', '--max-slow-rate', '0.1')
    expect(noBound.code).toBe(1)
    expect(noBound.stderr).toContain('missing --slower-than-ms')
    expect((await stateOf('checkout-v2')).version).toBe(before)
  })

  it('refuses a guard without a limit, or with an unknown evidence source, before calling the server', { timeout: SLOW }, async () => {
    const before = (await stateOf('checkout-v2')).version
    const res = await canary('guard', 'set', 'checkout-v2', '--env', 'production', '--min-exposures', '10')
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('missing --max-error-rate')
    const bad = await canary('guard', 'set', 'checkout-v2', '--env', 'production', '--max-error-rate', '0.05', '--evidence', 'browsers')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--evidence: browsers is not server or all')
    expect((await stateOf('checkout-v2')).version).toBe(before)
  })

  it('previews a plan on a cohort at 50%: skipped steps, --yes without a terminal, --replace for a live plan', { timeout: SLOW }, async () => {
    await guardedFlag('widen-me', 50)
    const before = await stateOf('widen-me')
    const args = ['plan', 'start', 'widen-me', '--env', 'production', '--cohort', 'everyone', '--interval', '600']

    // No terminal and no --yes: the preview is printed, nothing starts.
    const asked = await canary(...args, '--steps', '1,5,25,50,75,100')
    expect(asked.code).toBe(1)
    expect(asked.stdout).toContain('plan for widen-me in production, cohort everyone (now 50%):')
    expect(asked.stdout).toContain('cohort everyone stays at 50%; will go to 75% after 10 min if the canary shows it is under its limit, then to 100%')
    expect(asked.stdout).toContain('skipped: 1%, 5%, 25%, 50% (at or below the cohort\'s current 50%; a plan never narrows a cohort)')
    expect(asked.stderr).toContain('pass --yes')
    expect(await stateOf('widen-me')).toMatchObject({ version: before.version, plan: null, cohorts: [{ rollout: 50 }] })

    // --dry-run --json: the preview as the API answered it.
    const dry = await canary(...args, '--steps', '1,5,25,50,75,100', '--dry-run', '--json')
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.stdout)).toMatchObject({ cohort: 'everyone', from: 50, steps: [75, 100], startsAt: 50, widensNow: false, skipped: [1, 5, 25, 50], replaces: null })

    const started = await canary(...args, '--steps', '1,5,25,50,75,100', '--yes')
    expect(started.code).toBe(0)
    expect(started.stdout).toContain('plan started on widen-me in production: cohort everyone stays at 50%; will go to 75% after 10 min')
    expect(started.stdout).toContain('(skipped 1%, 5%, 25%, 50%)')
    // Starting never widens on nothing: still 50%, the plan's first step is where it started.
    expect(await stateOf('widen-me')).toMatchObject({
      cohorts: [{ rollout: 50 }],
      plan: { status: 'active', steps: [50, 75, 100], skipped: [1, 5, 25, 50] },
    })

    // A second plan while this one is live: refused without --replace, with the plan it would replace.
    const refused = await canary(...args, '--steps', '80,90,100', '--yes')
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('replaces: the active plan on cohort everyone, step 1 of 3 (50%)')
    expect(refused.stderr).toContain('already has a plan on cohort everyone (active); pass --replace')
    expect(await stateOf('widen-me')).toMatchObject({ cohorts: [{ rollout: 50 }], plan: { steps: [50, 75, 100] } })

    const replaced = await canary(...args, '--steps', '80,90,100', '--yes', '--replace', '--max-wait', '900')
    expect(replaced.code).toBe(0)
    expect(replaced.stdout).toContain('plan replaced on widen-me in production: cohort everyone stays at 50%; will go to 80% after 10 min')
    expect(await stateOf('widen-me')).toMatchObject({
      cohorts: [{ rollout: 50 }],
      plan: { status: 'active', steps: [50, 80, 90, 100], maxWaitSeconds: 900 },
    })
    const audit = await api('GET', '/api/v1/audit?flag=widen-me')
    expect(audit.json.items.map((e: { action: string }) => e.action)).toContain('plan.replace')
  })

  it('asks on a terminal before starting, and starts only on yes', { timeout: SLOW }, async () => {
    await guardedFlag('ask-me', 10)
    const argv = ['plan', 'start', 'ask-me', '--env', 'production', '--cohort', 'everyone', '--steps', '5,10,20,40', '--interval', '60']
    const no = terminal('n')
    expect(await main(argv, no.io)).toBe(1)
    expect(no.questions).toEqual(['Start this plan? [y/N] '])
    expect(no.out.join('\n')).toContain('skipped: 5%, 10%')
    expect(no.err.join('\n')).toContain('not started (not confirmed)')
    expect((await stateOf('ask-me')).plan).toBeNull()

    const yes = terminal('y')
    expect(await main(argv, yes.io)).toBe(0)
    expect(yes.out.at(-1)).toBe(
      'plan started on ask-me in production: cohort everyone stays at 10%; will go to 20% after 60 s if the canary shows it is under its limit, then to 40% (each step waits as long and for the same evidence) (skipped 5%, 10%)',
    )
    expect(await stateOf('ask-me')).toMatchObject({ cohorts: [{ rollout: 10 }], plan: { status: 'active', steps: [10, 20, 40] } })
  })

  it('shows a plan waiting for evidence with its figures, then held, and resumes it', { timeout: SLOW }, async () => {
    await guardedFlag('slow-canary', 0, { maxErrorRate: 0.05 })
    const start = await canary(
      ...['plan', 'start', 'slow-canary', '--env', 'production', '--cohort', 'everyone'],
      ...['--steps', '1,5,25', '--interval', '60', '--max-wait', '120', '--yes'],
    )
    expect(start.code).toBe(0)
    const before = await canary('plan', 'show', 'slow-canary', '--env', 'production')
    expect(before.stdout).toContain('plan: active on cohort everyone, step 1 of 3 (1%); steps 1%, 5%, 25%')
    expect(before.stdout).toMatch(/next step 5% due .* UTC, once the evidence shows the error rate is below the limit/)
    expect(before.stdout).not.toContain('waiting for evidence')

    // A little traffic: far too little to show the rate is below 5%.
    const batch = { id: 'slow-1', start: Date.now() - 1000, end: Date.now(), flags: { 'slow-canary': [50, 1, 450, 2] } }
    expect((await api('POST', '/api/v1/metrics', { batch }, serverKey)).status).toBe(200)
    await until(
      () => api('GET', '/api/v1/environments/production/flags/slow-canary/guard'),
      (r) => r.json.planProgress.evidence?.canaryExposures === 50,
      'the step evidence count the batch',
    )

    offset += 61_000 // the step falls due
    const waiting = await canary('plan', 'show', 'slow-canary', '--env', 'production')
    expect(waiting.stdout).toContain('waiting for evidence: the next step (5%) is due, but the error rate is not yet shown below the limit')
    expect(waiting.stdout).toMatch(/1 canary errors in 50 exposures this step \(2\.00%\); not yet shown below the limit \(statistic -?\d+\.\d\d of 3\.00\)/)
    expect(waiting.stdout).toMatch(/holds at .* UTC \(in \d+ (s|min)\) unless the evidence comes/)
    const guard = await canary('guard', 'show', 'slow-canary', '--env', 'production')
    expect(guard.stdout).toContain('waiting for evidence: the next step (5%) is due')
    const json = await canary('plan', 'show', 'slow-canary', '--env', 'production', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({
      plan: { status: 'active', step: 0 },
      planProgress: { waitingForEvidence: true, evidence: { canaryExposures: 50, canaryErrors: 1, proven: false } },
    })

    offset += 121_000 // past the longest wait: the planner holds the plan
    await until(() => stateOf('slow-canary'), (s) => s.plan?.status === 'held', 'the plan held')
    const held = await canary('plan', 'show', 'slow-canary', '--env', 'production')
    expect(held.stdout).toContain('plan: held on cohort everyone, step 1 of 3 (1%)')
    expect(held.stdout).toMatch(/held: .*1 errors in 50 canary exposures this step/)
    expect(held.stdout).toContain('resume it with: canary plan resume')
    const heldGuard = await canary('guard', 'show', 'slow-canary', '--env', 'production')
    expect(heldGuard.stdout).toContain('plan: held on cohort everyone, step 1 of 3 (1%)')
    expect((await stateOf('slow-canary')).cohorts[0].rollout).toBe(1)

    const resumed = await canary('plan', 'resume', 'slow-canary', '--env', 'production')
    expect(resumed.stdout).toContain('plan of slow-canary in production: active at 1%')
  })
})
