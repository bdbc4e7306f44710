import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server/main.ts'
import { openPage, scrollsSideways, signIn, unlabelledControls } from './browser.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'
import { connectSdk } from './sdk-socket.ts'
import { call } from '../helpers/call-api.ts'

/**
 * The web console end to end: a real server (HTTP + WebSocket, SQLite file) and Debian's
 * headless Chromium. A product manager's canary from sign-in to a guard trip, checked from the
 * page and from an SDK connected to the same server. No skipping: CI installs chromium.
 */

const ADMIN_KEY = 'console-e2e-admin-key-0123456789ab'
const RESULTS = join(process.cwd(), 'test-results')
const STEP = 20_000 // the browser shares two cores with the server and vitest

describe('web console in headless Chromium', () => {
  let stack: ConsoleStack
  let server: RunningServer
  let url: string
  let browser: Browser
  let serverKey: string
  let sdk: Awaited<ReturnType<typeof connectSdk>>

  const api = (method: string, path: string, body?: unknown, key = ADMIN_KEY) => call(url, key, method, path, body)


  /** A page whose failure leaves a screenshot and its text (browser.ts `openPage`). */
  const newPage = (viewport = { width: 1280, height: 800 }) => stack.newPage(viewport)

  /** Clicks the kill switch (or another switch) and answers the production confirmation. */
  async function flip(page: Page, button: string, confirm: RegExp) {
    await page.locator(button).click()
    await page.getByRole('button', { name: confirm }).click()
  }

  beforeAll(async () => {
    stack = await startConsoleStack('console', ADMIN_KEY)
    ;({ server, url, browser } = stack)
    const key = await api('POST', '/api/v1/keys', {
      name: 'checkout-service',
      kind: 'server',
      environment: 'production',
    })
    expect(key.status).toBe(201)
    serverKey = key.json.secret
    sdk = await connectSdk(url, serverKey)
  }, 120_000)

  afterAll(async () => {
    sdk?.close()
    await stack?.close()
  })

  it('serves the page with a strict CSP and no framing', async () => {
    const response = await fetch(url + '/')
    expect(response.status).toBe(200)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/)
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await response.text()
    const script = /src="(\/console\/app-[\w]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const asset = await fetch(url + script)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toContain('text/javascript')
    expect(asset.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect((await fetch(url + '/console/nope.js')).status).toBe(404)
  })

  it('runs a canary: beta users, a region at 1% widened to 5%, kill switch, audit, guard trip', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    // Chromium can show this tab's storage a moment after the app wrote it (seen 1 in 150
    // sign-ins under a CPU hog, right a few ms later), so the read waits for it with a deadline.
    await expect.poll(() => page.evaluate(() => sessionStorage.length), { timeout: STEP }).toBe(1)
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    // No flag yet: the list says how to create one rather than "No flags match."
    await expect
      .poll(async () => (await page.locator('.flags-page p.empty').textContent()) ?? '', { timeout: STEP })
      .toMatch(/^No flags yet: create the first one with New flag above/)

    // Production, where the kill switch asks first.
    await page.getByLabel('Environment').selectOption('production')
    await page.waitForURL(/env=production/)

    await page.getByRole('button', { name: 'New flag' }).click()
    await page.getByLabel('Key').fill('checkout-v2')
    await page.getByLabel('Description').fill('The new checkout')
    await page.getByRole('button', { name: 'Create flag' }).click()
    await page.getByRole('heading', { name: 'checkout-v2', level: 1 }).waitFor()
    await sdk.waitForFlag('checkout-v2', (f) => !f.enabled && f.cohorts.length === 0)

    // Two beta users, pasted as a list.
    await page.getByRole('button', { name: 'Beta users' }).click()
    await page.locator('#cohort-0-cond-0-values').fill('alice\nbob')
    await page.locator('#cohort-0-cond-0-values-hint', { hasText: '2 users' }).waitFor()
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await sdk.waitForFlag(
      'checkout-v2',
      (f) => f.cohorts[0]?.name === 'beta-users' && f.cohorts[0].rollout === 100,
    )
    expect(sdk.flags.get('checkout-v2')!.cohorts[0]!.conditions[0]!.values).toEqual([
      'alice',
      'bob',
    ])

    // A region cohort at 1%.
    await page.getByRole('button', { name: 'Region', exact: true }).click()
    await page.locator('#cohort-1-cond-0-values').fill('eu-west')
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await sdk.waitForFlag(
      'checkout-v2',
      (f) => f.cohorts[1]?.name === 'region' && f.cohorts[1].rollout === 1,
    )

    // Some traffic of the last hour, so widening can say what it adds: 20 + 1,980 exposures.
    const traffic = await api(
      'POST',
      '/api/v1/metrics',
      {
        batch: {
          id: 'traffic-1',
          start: Date.now() - 5000,
          end: Date.now(),
          flags: { 'checkout-v2': [20, 0, 1980, 2] },
        },
      },
      serverKey,
    )
    expect(traffic.status).toBe(200)
    // The guard update reaches the page over its WebSocket, and the chart gets the minute.
    await page.locator('[data-chart=rates] [data-series=control] circle').first().waitFor()

    // Widen to 5%: the estimate is shown before saving, then the SDK sees 5%.
    await page.locator('#cohort-1-rollout').fill('5')
    const estimate = page.locator('fieldset[data-cohort=region] .estimate')
    await estimate.filter({ hasText: '≈ 80 more users' }).waitFor()
    expect(await estimate.textContent()).toContain('Newly gets the flag: 4% more of region eu-west (1% → 5% of them')
    expect(await estimate.textContent()).toContain('2,000 canary + control exposures of this flag × 4%')
    await page.screenshot({ path: join(RESULTS, 'console-audience-preview.png'), fullPage: false })
    await page.locator('.pending', { hasText: 'cohort region · rollout' }).waitFor()
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await sdk.waitForFlag('checkout-v2', (f) => f.cohorts[1]?.rollout === 5)
    expect(sdk.flags.get('checkout-v2')!.cohorts[0]!.rollout).toBe(100)

    // On, then the kill switch — both confirmed, as this is production — with the keyboard.
    await page.locator('#kill-switch-button').focus()
    await page.keyboard.press('Enter')
    await page.getByRole('alertdialog').waitFor()
    await page.keyboard.press('Enter') // focus starts on the confirmation button
    await sdk.waitForFlag('checkout-v2', (f) => f.enabled)
    await page.locator('#kill-switch-button', { hasText: 'Turn off' }).waitFor()
    await flip(page, '#kill-switch-button', /Yes, turn it off in Production/)
    await sdk.waitForFlag('checkout-v2', (f) => !f.enabled)

    // The audit log has both changes, as readable diffs.
    const widening = page.locator('.audit-entry[data-action="flag.rollout"]')
    await widening.waitFor()
    expect(await widening.textContent()).toMatch(/Cohort region · Rollout\s*1%\s*5%/)
    const off = page.locator('.audit-entry[data-action="flag.off"]')
    await off.waitFor()
    expect(await off.textContent()).toMatch(/On\/off\s*on\s*off/)
    expect(await off.textContent()).toContain('bootstrap-admin (admin key)')

    // A guard, then on again, then failing traffic: the guard trips it.
    await page.locator('#guard-maxErrorRate').fill('0.05')
    await page.locator('#guard-minExposures').fill('100')
    await page.locator('#guard-windowSeconds').fill('60')
    await page.locator('#guard-evidence').selectOption('server')
    await page.getByRole('button', { name: 'Set guard' }).click()
    await page
      .locator('#guard-heading .badge')
      .filter({ hasText: /guard idle|collecting evidence/ })
      .waitFor()
    await page
      .locator('[data-guard-settings]', { hasText: 'back-end services (server keys) only' })
      .waitFor()
    const guardSet = await api('GET', '/api/v1/environments/production/flags/checkout-v2')
    expect(guardSet.json.guard).toMatchObject({
      maxErrorRate: 0.05,
      minExposures: 100,
      windowSeconds: 60,
      evidence: 'server',
    })
    await flip(page, '#kill-switch-button', /Yes, turn it on in Production/)
    await sdk.waitForFlag('checkout-v2', (f) => f.enabled)

    const failing = await api(
      'POST',
      '/api/v1/metrics',
      {
        batch: {
          id: 'failing-1',
          start: Date.now() - 5000,
          end: Date.now(),
          flags: { 'checkout-v2': [1000, 600, 1000, 10] },
        },
      },
      serverKey,
    )
    expect(failing.status).toBe(200)
    await sdk.waitForFlag('checkout-v2', (f) => !f.enabled)

    const banner = page.locator('.trip-banner')
    await banner.waitFor()
    const bannerText = (await banner.textContent()) ?? ''
    expect(bannerText).toContain('The guard turned this flag off')
    expect(bannerText).toContain('over the limit of 5.00%')
    // Frozen figures of the window. It started afresh when the flag was turned back on, so
    // the earlier healthy traffic (from before the kill switch) is not in it.
    expect(bannerText).toContain('60.0% (600 errors in 1,000 exposures)')
    // Which rule and which test: the evidence since the start (not the change detector).
    expect(await banner.locator('[data-rule=max_error_rate]').textContent()).toContain(
      'error rate over the limit (5.00%)',
    )
    expect(await banner.locator('[data-test=mixture]').textContent()).toContain('since the start')
    // The chart: canary points, control points, the limit line and the trip marker.
    await page.locator('[data-chart=rates] [data-series=canary] circle').first().waitFor()
    expect(await page.locator('[data-chart=rates] [data-series=limit] line').count()).toBe(1)
    expect(await page.locator('[data-chart=rates] [data-series=trip]').count()).toBe(1)
    await page.locator('.audit-entry[data-action="guard.trip"]').waitFor()
    await page.screenshot({ path: join(RESULTS, 'console-flag-page.png'), fullPage: true })

    // The flags list shows it at a glance.
    await page.getByRole('link', { name: 'Flags', exact: true }).first().click()
    const row = page.locator('tr[data-flag="checkout-v2"]')
    await row.waitFor()
    const rowText = (await row.textContent()) ?? ''
    expect(rowText).toContain('OFF')
    expect(rowText).toContain('tripped')
    // Who gets it, truthfully: two users of the beta list, 5% of one region.
    expect(rowText).toContain('beta-users: 2 users')
    expect(rowText).toContain('region: 5% of region eu-west')
    expect(rowText).not.toContain('100%')
    await page.getByLabel('Show').selectOption('tripped')
    await page.locator('.count', { hasText: '1 of 1 flags' }).waitFor()
    await page.getByLabel('Search').fill('nothing-like-this')
    await page.locator('.count', { hasText: '0 of 1 flags' }).waitFor()
    await page.getByLabel('Search').fill('')
    await page.getByLabel('Show').selectOption('all')
    await page.screenshot({ path: join(RESULTS, 'console-flags-list.png'), fullPage: true })

    // Back on, from the banner: a person's decision.
    await row.getByRole('link', { name: 'checkout-v2' }).click()
    await flip(page, '#trip-turn-on', /Yes, turn it on in Production/)
    await sdk.waitForFlag('checkout-v2', (f) => f.enabled)
    await page.locator('.trip-banner').waitFor({ state: 'detached' })

    expect(errors).toEqual([])
    await page.close()
  }, 240_000)

  it('says so when someone else changed the flag, and overwrites nothing', async () => {
    expect((await api('POST', '/api/v1/flags', { key: 'conflict-demo' })).status).toBe(201)
    const created = await api('PATCH', '/api/v1/environments/development/flags/conflict-demo', {
      cohorts: [{ name: 'everyone', conditions: [], rollout: 10 }],
    })
    expect(created.status).toBe(200)
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/conflict-demo?env=development`)
    await page.locator('#cohort-0-rollout').fill('20')

    // Behind the page's back.
    const other = await api(
      'PUT',
      '/api/v1/environments/development/flags/conflict-demo/cohorts/everyone/rollout',
      {
        rollout: 30,
        version: created.json.version,
      },
    )
    expect(other.status).toBe(200)

    await page.getByRole('button', { name: 'Save cohorts' }).click()
    const notice = page.locator('.cohorts .conflict')
    await notice.filter({ hasText: 'Your changes were not saved' }).waitFor()
    const text = (await notice.textContent()) ?? ''
    expect(text).toContain('Someone else changed this flag')
    expect(text).toContain(`version ${other.json.version}`)
    expect(text).toContain('everyone · 30%')
    const stored = await api('GET', '/api/v1/environments/development/flags/conflict-demo')
    expect(stored.json.cohorts[0].rollout).toBe(30)

    await page.getByRole('button', { name: 'Discard my edits, show theirs' }).click()
    expect(await page.locator('#cohort-0-rollout').inputValue()).toBe('30')

    // The page's own change to another part (the kill switch) is no conflict for a draft.
    await page.locator('#cohort-0-rollout').fill('40')
    await page.locator('#kill-switch-button', { hasText: 'Turn on' }).click()
    await page.locator('#kill-switch-button', { hasText: 'Turn off' }).waitFor()
    expect(await page.locator('.cohorts .conflict').count()).toBe(0)
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await page.locator('.audit-entry[data-action="flag.rollout"]', { hasText: '40%' }).waitFor()
    const saved = await api('GET', '/api/v1/environments/development/flags/conflict-demo')
    expect(saved.json).toMatchObject({ enabled: true, cohorts: [{ rollout: 40 }] })
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('says so when someone else set the guard meanwhile, and overwrites nothing', async () => {
    expect((await api('POST', '/api/v1/flags', { key: 'guard-conflict' })).status).toBe(201)
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/guard-conflict?env=development`)
    await page.locator('#guard-maxErrorRate').fill('0.02')

    // Behind the page's back; the page hears of it and says saving would be refused.
    const other = await api('PUT', '/api/v1/environments/development/flags/guard-conflict/guard', { maxErrorRate: 0.1 })
    expect(other.status).toBe(200)
    const notice = page.locator('.guard-form .conflict')
    await notice.filter({ hasText: 'Saving now would be refused' }).waitFor()

    await page.getByRole('button', { name: 'Save guard' }).click()
    await notice.filter({ hasText: 'Your changes were not saved' }).waitFor()
    expect(await notice.textContent()).toContain(`version ${other.json.state.version}`)
    const stored = await api('GET', '/api/v1/environments/development/flags/guard-conflict')
    expect(stored.json.guard).toMatchObject({ maxErrorRate: 0.1 })

    await page.getByRole('button', { name: 'Discard my edits, show theirs' }).click()
    expect(await notice.count()).toBe(0)
    expect(await page.locator('#guard-maxErrorRate').inputValue()).toBe('0.1')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('shows a validation error next to the field it concerns', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/conflict-demo?env=development`)
    await page.locator('#cohort-0-rollout').fill('150')
    // Said as the CLI says it while it is typed: no 100% chip lit, no estimate of "150% of them".
    const error = page.locator('#cohort-0-rollout-error')
    await error.waitFor()
    expect(await error.textContent()).toBe('150 is not a percentage between 0 and 100')
    expect(await page.getByRole('button', { name: '100%' }).getAttribute('aria-pressed')).toBe('false')
    expect(await page.locator('fieldset.cohort').first().locator('[data-audience-preview]').count()).toBe(0)
    expect(await page.locator('#cohort-0-rollout').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#cohort-0-rollout').getAttribute('aria-describedby')).toContain(
      'cohort-0-rollout-error',
    )

    // A condition's problem lands on that condition.
    await page.locator('#cohort-0-rollout').fill('30')
    await page.getByRole('button', { name: 'Add attribute condition' }).click()
    await page.locator('#cohort-0-cond-0-attribute').fill('appVersion')
    await page.locator('#cohort-0-cond-0-operator').selectOption('semver_gt')
    await page.locator('#cohort-0-cond-0-values').fill('not-a-version')
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await page.locator('#cohort-0-cond-0-values-error').waitFor()
    expect(await page.locator('#cohort-0-cond-0-values-error').textContent()).toContain('semver_gt')

    // And a flag key that the API refuses, under the key field.
    await page.goto(`${url}/#/flags?env=development`)
    await page.getByRole('button', { name: 'New flag' }).click()
    await page.getByLabel('Key').fill('Checkout V2')
    await page.getByRole('button', { name: 'Create flag' }).click()
    expect(await page.locator('#new-flag-key-error').textContent()).toContain('without spaces')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('runs a rollout plan: start, see the next step, pause, resume, cancel', async () => {
    expect((await api('POST', '/api/v1/flags', { key: 'plan-demo' })).status).toBe(201)
    const withCohort = await api('PATCH', '/api/v1/environments/development/flags/plan-demo', {
      enabled: true,
      cohorts: [{ name: 'everyone', conditions: [], rollout: 1 }],
    })
    const guarded = await api('PUT', '/api/v1/environments/development/flags/plan-demo/guard', {
      maxErrorRate: 0.05,
      minExposures: 100,
      windowSeconds: 60,
      version: withCohort.json.version,
    })
    expect(guarded.status).toBe(200)
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/plan-demo?env=development`)
    const plan = page.locator('section.plan')

    await page.getByLabel('Steps (%)').fill('5, 2')
    await page.getByRole('button', { name: 'Start plan' }).click()
    expect(await page.locator('#plan-steps-error').textContent()).toContain('strictly increasing')

    await page.getByLabel('Steps (%)').fill('5, 10, 25')
    await page.getByLabel('Interval between steps (seconds)').fill('600')
    await page.getByRole('button', { name: 'Start plan' }).click()
    // The preview first: nothing skipped, and the cohort stays at 1% until the evidence allows 5%.
    await plan
      .locator('[data-runs]', { hasText: 'cohort everyone stays at 1%; will go to 5% after 10 min if the canary shows it is under its limit, then to 10%, 25%' })
      .waitFor()
    expect(await plan.locator('[data-skipped]').count()).toBe(0)
    await page.getByRole('button', { name: 'Yes, start the plan' }).click()
    await plan.locator('.badge', { hasText: 'active' }).waitFor()
    const text = (await plan.textContent()) ?? ''
    expect(text).toContain('step 1 of 4 (1%)')
    expect(text).toMatch(/Next step: 5%, due .* \(in (10 min|9 min)\)/)
    await page.locator('#cohort-0-rollout[value="1"]').waitFor()

    await page.getByRole('button', { name: 'Pause plan' }).click()
    await plan.locator('.badge', { hasText: 'paused' }).waitFor()
    await page.getByRole('button', { name: 'Resume plan' }).click()
    await plan.locator('.badge', { hasText: 'active' }).waitFor()
    await page.getByRole('button', { name: 'Cancel plan' }).click()
    await plan.locator('.badge', { hasText: 'cancelled' }).waitFor()
    await page.getByRole('button', { name: 'Start plan' }).waitFor()
    await page.locator('.audit-entry[data-action="plan.pause"]').waitFor()
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('previews a plan on a cohort at 50%: skipped steps first, then confirm; replace; waiting; held', async () => {
    const base = '/api/v1/environments/development/flags/half-way'
    expect((await api('POST', '/api/v1/flags', { key: 'half-way' })).status).toBe(201)
    const created = await api('PATCH', base, {
      enabled: true,
      cohorts: [{ name: 'everyone', conditions: [], rollout: 50 }],
    })
    const guarded = await api('PUT', `${base}/guard`, {
      maxErrorRate: 0.05,
      version: created.json.version,
    })
    expect(guarded.status).toBe(200)
    const devKey = await api('POST', '/api/v1/keys', {
      name: 'half-way-service',
      kind: 'server',
      environment: 'development',
    })
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/half-way?env=development`)
    const guard = page.locator('section.guard')
    const plan = page.locator('section.plan')

    // Healthy traffic: the evidence in words, the bar, the rule readings and the recent rates.
    const traffic = await api(
      'POST',
      '/api/v1/metrics',
      {
        batch: {
          id: 'half-way-1',
          start: Date.now() - 1000,
          end: Date.now(),
          flags: { 'half-way': [500, 2, 4500, 20] },
        },
      },
      devKey.json.secret,
    )
    expect(traffic.status).toBe(200)
    await guard
      .locator('.evidence-words', { hasText: 'The canary failed 2 of 500 exposures (0.40%)' })
      .waitFor()
    expect(await guard.locator('.evidence-words').textContent()).toContain('No sign of a problem')
    const meter = guard.getByRole('meter', { name: 'How close to a trip' })
    expect(Number(await meter.getAttribute('aria-valuenow'))).toBeLessThan(10)
    expect(await guard.locator('[data-rule=max_error_rate]').textContent()).toMatch(
      /since the start -?\d+\.\d\d of 3\.00 · change detector \d+\.\d\d of 17\.76/,
    )
    await guard.getByRole('heading', { name: 'Recent: the last 60 s' }).waitFor()

    // The preview says what happens before anything does: 1, 5, 25 and 50 are skipped.
    await page.getByLabel('Steps (%)').fill('1, 5, 25, 50, 100')
    await page.getByLabel('Interval between steps (seconds)').fill('600')
    await page.getByRole('button', { name: 'Start plan' }).click()
    const preview = plan.getByRole('alertdialog')
    await preview.waitFor()
    expect(await preview.locator('[data-skipped]').textContent()).toBe(
      "skip 1%, 5%, 25%, 50%: at or below the cohort's current 50% (a plan never narrows a cohort)",
    )
    expect(await preview.locator('[data-runs]').textContent()).toContain(
      'cohort everyone stays at 50%; will go to 100% after 10 min if the canary shows it is under its limit',
    )
    expect(await preview.locator('[data-replaces]').count()).toBe(0)
    await page.screenshot({ path: join(RESULTS, 'console-plan-preview.png'), fullPage: true })
    let stored = await api('GET', base)
    expect(stored.json).toMatchObject({ plan: null, cohorts: [{ rollout: 50 }] })
    expect(stored.json.version).toBe(guarded.json.state.version)

    // Editing the steps drops the preview: it described other steps.
    await page.getByLabel('Steps (%)').fill('1, 5, 25, 50, 75')
    await preview.waitFor({ state: 'detached' })
    await page.getByLabel('Steps (%)').fill('1, 5, 25, 50, 100')
    await page.getByRole('button', { name: 'Start plan' }).click()
    await page.getByRole('button', { name: 'Yes, start the plan' }).click()
    await plan.locator('.badge', { hasText: 'active' }).waitFor()
    await plan.locator('[data-skipped]', { hasText: 'Skipped 1%, 5%, 25%, 50%' }).waitFor()
    stored = await api('GET', base)
    expect(stored.json).toMatchObject({
      cohorts: [{ rollout: 50 }],
      plan: { status: 'active', steps: [50, 100], skipped: [1, 5, 25, 50] },
    })
    expect((await api('POST', `${base}/plan/cancel`)).status).toBe(200)

    // Someone else starts a plan: replacing it needs the person's explicit yes.
    const lower = await api('PUT', `${base}/cohorts/everyone/rollout`, { rollout: 20 })
    expect(lower.status).toBe(200)
    const other = await api('PUT', `${base}/plan`, {
      cohort: 'everyone',
      steps: [30, 60],
      intervalSeconds: 600,
    })
    expect(other.status).toBe(200)
    await plan.locator('.badge', { hasText: 'active' }).waitFor()
    await page.getByRole('button', { name: 'Replace with a new plan…' }).click()
    await page.getByLabel('Steps (%)').fill('1, 5, 25, 50, 100')
    await page.getByLabel('Interval between steps (seconds)').fill('1')
    await page.getByRole('button', { name: 'Start plan' }).click()
    await preview.waitFor()
    expect(await preview.locator('[data-replaces]').textContent()).toBe(
      'replace the plan active on cohort everyone, step 1 of 3 (20%)',
    )
    expect(await preview.locator('[data-skipped]').textContent()).toContain('skip 1%, 5%:')
    await page.getByRole('button', { name: 'Yes, replace the plan' }).click()
    await page.locator('.audit-entry[data-action="plan.replace"]').waitFor()
    stored = await api('GET', base)
    expect(stored.json).toMatchObject({ cohorts: [{ rollout: 20 }], plan: { status: 'active', steps: [20, 25, 50, 100] } })

    // The next step falls due without evidence that the rate is below the limit: it waits, and says so.
    const waiting = plan.locator('[data-waiting]')
    await waiting.waitFor()
    expect(await waiting.textContent()).toContain(
      'Waiting for evidence. The next step (25%) is due',
    )
    expect(await waiting.locator('[data-plan-evidence]').textContent()).toContain(
      '0 canary errors in 0 exposures this step',
    )
    expect(await waiting.textContent()).toMatch(/The plan holds at .* \(in (\d+ min|1 h)\)/)
    await page.locator('.audit-entry[data-action="plan.replace"]').waitFor()
    await page.screenshot({ path: join(RESULTS, 'console-plan-waiting.png'), fullPage: true })

    // A plan that waited longer than its maximum holds; a person resumes it.
    const held = await api('PUT', `${base}/plan`, {
      cohort: 'everyone',
      steps: [60, 100],
      intervalSeconds: 1,
      maxWaitSeconds: 1,
      replace: true,
    })
    expect(held.status).toBe(200)
    await plan.locator('.badge', { hasText: 'held' }).waitFor()
    expect(await plan.locator('[data-held]').textContent()).toMatch(
      /^Held: no evidence that the error rate is below the limit after waiting 1 s/,
    )
    await page.getByRole('button', { name: 'Resume plan' }).click()
    // (Resumed, it may hold again a moment later: its maximum wait is one second.)
    await page.locator('.audit-entry[data-action="plan.resume"]').waitFor()
    await page.locator('.audit-entry[data-action="plan.hold"]').first().waitFor()
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('tells a change-detector trip with the figures since the rise began, the same words in the banner and the audit log', async () => {
    const base = '/api/v1/environments/production/flags/rise-words'
    expect((await api('POST', '/api/v1/flags', { key: 'rise-words' })).status).toBe(201)
    await api('PATCH', base, { enabled: true, cohorts: [{ name: 'canary', conditions: [], rollout: 10 }] })
    expect((await api('PUT', `${base}/guard`, { maxErrorRate: 0.05 })).status).toBe(200)
    const report = async (id: string, counts: number[]) => {
      const batch = { id, start: Date.now() - 5000, end: Date.now(), flags: { 'rise-words': counts } }
      expect((await api('POST', '/api/v1/metrics', { batch }, serverKey)).status).toBe(200)
    }
    // A healthy stretch (1% against 5%), fed to the tests, then a failing second (20%).
    await report('rise-healthy', [100_000, 1_000, 900_000, 9_000])
    await expect
      .poll(async () => (await api('GET', `${base}/guard`)).json.decision?.figures.canaryExposures, { timeout: STEP })
      .toBe(100_000)
    await report('rise-failing', [2_000, 400, 18_000, 180])
    await expect.poll(async () => (await api('GET', base)).json.enabled, { timeout: STEP }).toBe(false)
    const trip = (await api('GET', base)).json.guard.lastTrip
    expect(trip).toMatchObject({ test: 'change', span: { from: 'rise', canaryTrials: 2_000, canaryEvents: 400 } })
    const began = `${new Date(trip.span.since).toISOString().slice(0, 19).replace('T', ' ')} UTC`

    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/rise-words?env=production`)
    const banner = page.locator('.trip-banner')
    await banner.waitFor()
    // The sentence is the record's, word for word, and the table beside it shows the same span.
    expect(await banner.locator('p').first().textContent()).toContain(trip.summary)
    expect(trip.summary).toContain(`the change detector saw a rise that began at ${began}`)
    expect(await banner.locator('[data-test=change]').textContent()).toContain('change detector')
    expect(await banner.locator('[data-trip-row="Counted"]').textContent()).toBe(`since the rise began at ${began}, counts from 1 second`)
    expect(await banner.locator('[data-trip-row="Canary"]').textContent()).toBe('20.0% (400 errors in 2,000 exposures)')
    expect(await banner.locator('[data-trip-row="Control"]').textContent()).toBe('1.00% (180 errors in 18,000 exposures)')
    expect(await banner.locator('[data-trip-row="Since the start"]').textContent()).toContain('canary 1.37% (1,400 errors in 102,000 exposures)')
    // The audit log's entry tells the same sentence.
    const entry = page.locator('.audit-entry[data-action="guard.trip"] [data-trip-words]')
    await entry.waitFor()
    expect(await entry.textContent()).toContain(trip.summary)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('creates a segment, picks it in a cohort, and jumps to edit it', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.getByRole('link', { name: 'Segments' }).click()
    await page.getByRole('link', { name: 'New segment' }).click()
    await page.getByLabel('Key').fill('internal-staff')
    await page.getByLabel('User ids').fill('ann\nben\nann')
    await page.locator('#segment-users-hint', { hasText: '2 users' }).waitFor()
    await page.getByRole('button', { name: 'Create segment' }).click()
    await page.getByRole('heading', { name: 'Segment internal-staff' }).waitFor()

    await page.goto(`${url}/#/flags/plan-demo?env=development`)
    await page.getByRole('button', { name: 'Segment', exact: true }).click()
    const select = page.locator('#cohort-1-cond-0-segment')
    // The segment list loads on its own request: wait until the picker holds it.
    await expect.poll(() => select.inputValue(), { timeout: 20_000 }).toBe('internal-staff')
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await page.locator('fieldset[data-cohort="internal-staff"]').waitFor()
    await page
      .locator('.audit-entry[data-action="flag.cohorts"]', { hasText: 'in segment internal-staff' })
      .waitFor()
    const stored = await api('GET', '/api/v1/environments/development/flags/plan-demo')
    expect(stored.json.cohorts[1]).toEqual({
      name: 'internal-staff',
      conditions: [{ segment: 'internal-staff' }],
      rollout: 100,
    })

    await page.getByRole('link', { name: 'Edit segment internal-staff' }).click()
    await page.getByRole('heading', { name: 'Segment internal-staff' }).waitFor()
    expect(await page.getByLabel('User ids').inputValue()).toBe('ann\nben')
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('shows an imported cohort\'s bucketing, keeps it when widened, and asks before moving it to the project\'s own (reshuffles)', async () => {
    const bucketing = { mode: 'unleash', groupId: 'Feature.Imported', stickiness: 'default' }
    expect((await api('POST', '/api/v1/flags', { key: 'imported-demo' })).status).toBe(201)
    const path = '/api/v1/environments/development/flags/imported-demo'
    expect((await api('PATCH', path, { cohorts: [{ name: 'rollout', conditions: [], rollout: 10, bucketing }] })).status).toBe(200)
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/imported-demo?env=development`)
    const note = page.locator('.bucketing-note[data-bucketing="unleash"]')
    await note.filter({ hasText: 'Bucketing: unleash (groupId Feature.Imported, stickiness default)' }).waitFor()

    // Widening keeps the mode (the rollout endpoint: no confirmation needed).
    await page.locator('#cohort-0-rollout').fill('20')
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await page.locator('.audit-entry[data-action="flag.rollout"]', { hasText: '20%' }).waitFor()
    expect((await api('GET', path)).json.cohorts[0]).toEqual({ name: 'rollout', conditions: [], rollout: 20, bucketing })

    // Leaving it is explicit, says that it reshuffles, and asks again before saving.
    await page.getByRole('button', { name: "Use this project's bucketing (reshuffles users)" }).click()
    await page.locator('.bucketing-note[data-bucketing="own"]', { hasText: 'Saving reshuffles' }).waitFor()
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    const dialog = page.locator('#reshuffle-text')
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('changing the bucketing of cohort rollout from unleash (groupId Feature.Imported, stickiness default) to own reshuffles its users')
    await page.getByRole('button', { name: 'Cancel' }).click()
    expect((await api('GET', path)).json.cohorts[0].bucketing).toEqual(bucketing)
    await page.getByRole('button', { name: 'Save cohorts' }).click()
    await page.getByRole('button', { name: 'Save and reshuffle' }).click()
    await page.locator('.audit-entry[data-action="flag.cohorts"]').first().waitFor()
    await expect.poll(async () => (await api('GET', path)).json.cohorts[0], { timeout: 20_000 }).toEqual({ name: 'rollout', conditions: [], rollout: 20 })
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('shows a flag to browsers and hides it again (client-visible setting)', async () => {
    await api('POST', '/api/v1/flags', { key: 'browser-visible' })
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/browser-visible?env=development`)
    await page.locator('.client-side', { hasText: 'Hidden from browser SDKs' }).waitFor()
    await page.getByRole('button', { name: 'Show to browsers' }).click()
    await page.locator('.client-side', { hasText: 'Browser SDKs (client keys) can see this flag' }).waitFor()
    expect((await api('GET', '/api/v1/flags/browser-visible')).json.clientSide).toBe(true)
    await page.getByRole('button', { name: 'Hide from browsers' }).click()
    await page.locator('.client-side', { hasText: 'Hidden from browser SDKs' }).waitFor()
    expect((await api('GET', '/api/v1/flags/browser-visible')).json.clientSide).toBe(false)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('labels every control and fits a phone screen', async () => {
    const { page, errors } = await newPage()
    await page.goto(url)
    expect(await unlabelledControls(page)).toEqual([])
    await signIn(page, url, ADMIN_KEY)
    expect(await unlabelledControls(page)).toEqual([])
    await page.goto(`${url}/#/flags/checkout-v2?env=production`)
    await page.locator('fieldset[data-cohort=region]').waitFor()
    await page.getByRole('button', { name: 'Segment', exact: true }).click()
    expect(await unlabelledControls(page)).toEqual([])

    // The keyboard moves the slider, and the exact field follows.
    await page.locator('#cohort-1-rollout-slider').focus()
    await page.keyboard.press('ArrowRight')
    expect(await page.locator('#cohort-1-rollout').inputValue()).toBe('6')
    await page.getByRole('button', { name: 'Discard edits' }).click()

    await page.setViewportSize({ width: 390, height: 844 })
    await page.locator('.trip-banner, .kill-switch').first().waitFor()
    expect(await scrollsSideways(page)).toBe(false)
    await page.screenshot({ path: join(RESULTS, 'console-flag-page-phone.png'), fullPage: true })
    await page.goto(`${url}/#/flags?env=production`)
    await page.locator('tr[data-flag="checkout-v2"]').waitFor()
    expect(await scrollsSideways(page)).toBe(false)
    await page.goto(`${url}/#/connections?env=production`)
    await page.locator('tr[data-connection]').first().waitFor()
    expect(await scrollsSideways(page)).toBe(false)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('lists connected SDKs with the version each has applied and the unknown flag keys, and signs out', async () => {
    // What the Node SDK sends after a typo: the unknown key named once, with no counts.
    const now = Date.now()
    sdk.send({ type: 'metrics', batch: { id: 'typo-batch', start: now - 1000, end: now, flags: { 'chekout-v2': {} } } })
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.getByRole('link', { name: 'Connected SDKs' }).click()
    const row = page.locator('tr[data-connection="checkout-service"]')
    await row.waitFor()
    const environments = await api('GET', '/api/v1/environments')
    const production = environments.json.items.find(
      (e: { key: string }) => e.key === 'production',
    ).version
    const text = (await row.textContent()) ?? ''
    expect(text).toContain('test-sdk/1.0')
    expect(text).toContain('production')
    expect(text).toContain(`version ${production} (current)`)
    // The page refreshes every few seconds: the batch may land after the first load.
    await expect
      .poll(async () => (await row.locator('td[data-label="Unknown flags"]').textContent()) ?? '', { timeout: STEP })
      .toContain('1 unknown flag key')
    // This SDK announced no bucketing mode: a flag with an Unleash cohort reaches it off, counted.
    expect((await api('POST', '/api/v1/flags', { key: 'from-unleash' })).status).toBe(201)
    const unleash = { mode: 'unleash', groupId: 'from-unleash', stickiness: 'default' }
    const patched = await api('PATCH', '/api/v1/environments/production/flags/from-unleash', {
      enabled: true,
      cohorts: [{ name: 'rollout', conditions: [], rollout: 50, bucketing: unleash }],
    })
    expect(patched.status).toBe(200)
    await expect
      .poll(async () => (await row.locator('td[data-label="Unavailable flags"]').textContent()) ?? '', { timeout: STEP })
      .toBe('1 flag off here: upgrade this SDK to evaluate their imported cohorts')

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin key').waitFor()
    // Where the key comes from, and how to make another when it is lost.
    expect(await page.locator('#admin-key-origin').textContent()).toMatch(
      /first start.*canary keys create --kind admin --db <database file>.*Lost admin key/,
    )
    await expect.poll(() => page.evaluate(() => sessionStorage.length), { timeout: STEP }).toBe(0)
    await page.reload()
    await page.getByLabel('Admin key').waitFor()
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)
})
