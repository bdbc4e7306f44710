import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server/main.ts'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { scrollsSideways, signIn } from './browser.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'
import { call } from '../helpers/call-api.ts'

/**
 * The console's first hour (issue 24) as a new team meets it, in Debian's headless Chromium
 * against a real server: the kill switch pressed when the flag is already off, the sign-in
 * page's way back from a lost admin key, a typo in an SDK's flag key on the Connected SDKs
 * page, a plan's preview and its words once the cohort moved, the evidence's counted seconds,
 * and percentages that nest rather than add up. Each assertion reads what the page shows.
 */

const ADMIN_KEY = 'console-first-hour-admin-0123456789'
const RESULTS = join(process.cwd(), 'test-results')
const STEP = 20_000 // the browser shares two cores with the server, vitest and other work
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 390, height: 844 }
const state = (key: string) => `/api/v1/environments/production/flags/${key}`
const everyone = (rollout: number) => ({ name: 'everyone', conditions: [], rollout })

describe('the console in the first hour', () => {
  let stack: ConsoleStack
  let server: RunningServer
  let url: string
  let browser: Browser
  let serverKey: string
  let sdk: FlagClient | undefined

  const api = (method: string, path: string, body?: unknown, key = ADMIN_KEY) => call(url, key, method, path, body)
  const page = (viewport = DESKTOP) => stack.newPage(viewport)

  /** A flag in production, on, with these cohorts; answers the state's version. */
  async function flag(key: string, cohorts: unknown[]): Promise<number> {
    expect((await api('POST', '/api/v1/flags', { key })).status).toBe(201)
    const res = await api('PATCH', state(key), { enabled: true, cohorts })
    expect(res.status).toBe(200)
    return res.json.version
  }

  beforeAll(async () => {
    stack = await startConsoleStack('first-hour', ADMIN_KEY)
    ;({ server, url, browser } = stack)
    const key = await api('POST', '/api/v1/keys', { name: 'checkout-service', kind: 'server', environment: 'production' })
    expect(key.status).toBe(201)
    serverKey = key.json.secret
  }, 120_000)

  afterAll(async () => {
    await sdk?.close({ timeoutMs: 500 })
    await stack?.close()
  })

  it('kill switch twice (390 px): the second "off" says already off, shows no error, and writes one history entry', async () => {
    await flag('checkout-v2', [everyone(5)])
    const { page: p, errors } = await page(PHONE)
    await signIn(p, url, ADMIN_KEY)
    await p.goto(`${url}/#/flags/checkout-v2?env=production`)
    await p.getByRole('button', { name: 'Turn off' }).click()
    const dialog = p.getByRole('alertdialog')
    await expect.poll(() => dialog.innerText(), { timeout: STEP }).toContain('Turn checkout-v2 off in Production?')

    // Meanwhile a colleague's incident script turns it off (the CLI's `flags off` is this PATCH).
    const off = await api('PATCH', state('checkout-v2'), { enabled: false })
    expect(off.json).toMatchObject({ enabled: false, changed: true })
    // The page hears it live; the open question stays the one the person asked.
    await p.locator('.kill-switch', { hasText: 'checkout-v2 is OFF in Production.' }).waitFor()
    expect(await dialog.innerText()).toContain('Turn checkout-v2 off in Production?')
    await p.getByRole('button', { name: 'Yes, turn it off in Production' }).click()

    const said = p.getByRole('status').filter({ hasText: 'already off' })
    await said.waitFor()
    expect(await said.innerText()).toBe(`checkout-v2 was already off in Production (version ${off.json.version}): nothing changed.`)
    expect(await p.getByRole('alert').count()).toBe(0)
    expect(await p.locator('.field-error').count()).toBe(0)
    await p.locator('.kill-switch').screenshot({ path: join(RESULTS, 'first-hour-kill-switch-390.png') })
    // Nothing was written: the same version, and one "turned off" in the history, not two.
    expect((await api('GET', state('checkout-v2'))).json.version).toBe(off.json.version)
    const audit = await api('GET', '/api/v1/audit?flag=checkout-v2&env=production')
    expect(audit.json.items.filter((e: { action: string }) => e.action === 'flag.off')).toHaveLength(1)
    await p.reload()
    const history = p.locator('section.audit')
    // The page lists every entry the server holds (its oldest last), then the off once.
    await expect.poll(() => history.locator('.audit-entry').count(), { timeout: STEP }).toBe(audit.json.items.length)
    expect(await history.locator('.audit-entry[data-action="flag.off"]').count()).toBe(1)
    expect(await scrollsSideways(p)).toBe(false)
    expect(errors).toEqual([])
    await p.close()
  }, 120_000)

  for (const viewport of [DESKTOP, PHONE])
    it(`sign-in (${viewport.width} px): says how to make a new admin key offline; a wrong key gets the 401 words with the hint`, async () => {
      const { page: p, errors } = await page(viewport)
      await p.goto(url)
      const origin = p.locator('#admin-key-origin')
      await origin.waitFor()
      expect(await origin.isVisible()).toBe(true)
      expect(await origin.innerText()).toBe(
        'The server prints its first admin key once, on its first start (admin key: cf_admin_…). Lost it? On the ' +
          "server's machine, canary keys create --kind admin --db <database file> writes a new one straight into " +
          'the database, no key needed (README, "Lost admin key").',
      )
      await p.getByLabel('Admin key').fill('cf_admin_not-a-key-anyone-made')
      await p.getByRole('button', { name: 'Sign in', exact: true }).click()
      const error = p.locator('#admin-key-error')
      await error.waitFor()
      expect(await error.innerText()).toBe(
        'This key was not accepted: invalid or revoked API key. A lost admin key can be replaced offline (see above).',
      )
      // The hint it points to is still on screen, above, and nothing spills sideways on a phone.
      expect(await origin.isVisible()).toBe(true)
      expect(await scrollsSideways(p)).toBe(false)
      await p.screenshot({ path: join(RESULTS, `first-hour-sign-in-${viewport.width}.png`), fullPage: true })
      expect(errors).toEqual([])
      await p.close()
    }, 120_000)

  it('Connected SDKs (390 px): a Node SDK that asked for a mistyped flag key shows it as an unknown flag key', async () => {
    await flag('checkout-v3', [everyone(10)])
    sdk = createClient({ url, key: serverKey, sdkName: 'typo-service/1.0', flushIntervalMs: 100, logger: { warn: () => {} } })
    await sdk.ready({ timeoutMs: STEP })
    expect(sdk.explain('chekout-v3', { userId: 'u1' })).toEqual({ enabled: false, reason: 'unknown_flag' })
    const { page: p, errors } = await page(PHONE)
    await signIn(p, url, ADMIN_KEY)
    await p.getByRole('link', { name: 'Connected SDKs' }).click()
    const row = p.locator('tr', { hasText: 'typo-service/1.0' })
    await row.waitFor()
    // The list refreshes every few seconds: the SDK's batch may land after the first load.
    await expect
      .poll(() => row.locator('td[data-label="Unknown flags"]').innerText(), { timeout: STEP })
      .toContain("1 unknown flag key: a typo? the SDK's log names each")
    expect(await row.locator('td[data-label="Environment"]').innerText()).toContain('production')
    expect(await scrollsSideways(p)).toBe(false)
    await p.screenshot({ path: join(RESULTS, 'first-hour-connections-390.png'), fullPage: true })
    expect(errors).toEqual([])
    await p.close()
  }, 120_000)

  it('plan (1280 px, list at 390 px): the preview says "stays at 1%; will go to …" before anything changes; moved by hand, the plan says it no longer matches', async () => {
    const version = await flag('search-v2', [everyone(1)])
    expect((await api('PUT', `${state('search-v2')}/guard`, { maxErrorRate: 0.05 })).status).toBe(200)
    const { page: p, errors } = await page()
    await signIn(p, url, ADMIN_KEY)
    await p.goto(`${url}/#/flags/search-v2?env=production`)
    const form = p.getByRole('form', { name: 'New rollout plan' })
    await form.getByLabel('Steps (%)').fill('5, 25')
    await form.getByLabel('Interval between steps (seconds)').fill('600')
    await form.getByRole('button', { name: 'Start plan' }).click()
    const runs = p.getByRole('alertdialog').locator('[data-runs]')
    await runs.waitFor()
    expect(await runs.innerText()).toBe(
      'cohort everyone stays at 1%; will go to 5% after 10 min if the canary shows it is under its limit, then to 25% ' +
        '(each step waits as long and for the same evidence)',
    )
    // Reading the preview changed nothing.
    const shown = (await api('GET', state('search-v2'))).json
    expect(shown).toMatchObject({ version: version + 1, plan: null, cohorts: [{ rollout: 1 }] })

    await p.getByRole('button', { name: 'Yes, start the plan' }).click()
    const status = p.locator('section.plan .plan-status')
    await status.getByText('Widening cohort everyone').waitFor()
    expect(await status.locator('[data-plan-drift]').count()).toBe(0)
    expect(await status.locator('[data-plan-note]').innerText()).toContain('stays at 1%; will go to 5% after 10 min')
    const plan = (await api('GET', state('search-v2'))).json.plan
    const applied = `${plan.steps[plan.step]}%`

    // Someone narrows the cohort by hand in the cohorts editor.
    await p.locator('#cohort-0-rollout').fill('0.5')
    await p.getByRole('button', { name: 'Save cohorts' }).click()
    const drift = status.locator('[data-plan-drift]')
    await drift.waitFor()
    expect(await drift.innerText()).toBe(
      `No longer what the cohort holds: cohort everyone is at 0.5% now, not the plan's ${applied} (changed since the plan set it).`,
    )
    // The start's "stays at 1%" is no longer true, so the card stops saying it.
    expect(await status.innerText()).not.toContain('stays at 1%')
    await p.locator('section.plan').screenshot({ path: join(RESULTS, 'first-hour-plan-drift-1280.png') })
    expect(errors).toEqual([])
    await p.close()

    // The flags list, read on a phone, says the same.
    const phone = await page(PHONE)
    await signIn(phone.page, url, ADMIN_KEY)
    await phone.page.goto(`${url}/#/flags?env=production`)
    const cell = phone.page.locator('tr[data-flag="search-v2"] td[data-label="Rollout plan"]')
    await cell.waitFor()
    expect(await cell.innerText()).toContain(
      `on everyone, active; but cohort everyone is at 0.5% now, not the plan's ${applied} (changed since the plan set it)`,
    )
    expect(await scrollsSideways(phone.page)).toBe(false)
    expect(phone.errors).toEqual([])
    await phone.page.close()
  }, 120_000)

  it('evidence (1280 px): "counts from N separate seconds" in the guard view, the trip banner and the history; the last trip stays once back on', async () => {
    await flag('pay-v2', [everyone(50)])
    expect((await api('PUT', `${state('pay-v2')}/guard`, { maxErrorRate: 0.05 })).status).toBe(200)
    const seconds = async () => (await api('GET', `${state('pay-v2')}/metrics`)).json.decision?.figures.seconds ?? 0
    for (const [i, id] of ['first', 'second'].entries()) {
      const now = Date.now()
      const batch = { id: `pay-${id}`, start: now - 1000, end: now, flags: { 'pay-v2': [200, 1, 200, 1] } }
      expect((await api('POST', '/api/v1/metrics', { batch }, serverKey)).status).toBe(200)
      // The guard takes a second's counts at its next tick: wait for it before the next batch.
      await expect.poll(seconds, { timeout: STEP }).toBe(i + 1)
    }
    const { page: p, errors } = await page()
    await signIn(p, url, ADMIN_KEY)
    await p.goto(`${url}/#/flags/pay-v2?env=production`)
    const counted = p.locator('section.guard [data-counted]')
    await counted.waitFor()
    expect(await counted.innerText()).toMatch(
      /^For \d+ s, counts from 2 separate seconds \(SDKs send counts in batches every few seconds; each second with counts updates the tests\)\.$/,
    )

    // A third second of bad counts trips the guard: the banner, live, says what the trip counted.
    const now = Date.now()
    const failing = { id: 'pay-failing', start: now - 1000, end: now, flags: { 'pay-v2': [1000, 600, 1000, 10] } }
    expect((await api('POST', '/api/v1/metrics', { batch: failing }, serverKey)).status).toBe(200)
    const banner = p.getByRole('alert').filter({ has: p.getByRole('heading', { name: 'The guard turned this flag off' }) })
    await banner.waitFor()
    expect(await banner.locator('dt:has-text("Counted") + dd').innerText()).toMatch(/^since .+, counts from 3 separate seconds$/)
    const entry = p.locator('section.audit .audit-entry[data-action="guard.trip"]')
    await entry.waitFor()
    expect(await entry.innerText()).toContain('counts from 3 separate seconds)')

    // Turned back on, the trip stays in the guard's view, with when, until the next one.
    await banner.getByRole('button', { name: 'Turn back on' }).click()
    await p.getByRole('button', { name: 'Yes, turn it on in Production' }).click()
    const last = p.locator('section.guard [data-last-trip]')
    await last.waitFor()
    expect(await last.getByRole('heading').innerText()).toMatch(/^Last trip: .+\d\d:\d\d/)
    expect(await last.innerText()).toContain('The guard turned this flag off because ')
    expect(await banner.count()).toBe(0)
    // The evidence starts afresh, and says so in words rather than "counts from 0 separate seconds".
    await expect.poll(() => counted.innerText(), { timeout: STEP }).toMatch(/^For \d+ s, no counts yet \(SDKs send/)
    await p.locator('section.guard').screenshot({ path: join(RESULTS, 'first-hour-last-trip-1280.png') })
    expect(errors).toEqual([])
    await p.close()
  }, 120_000)

  for (const viewport of [DESKTOP, PHONE])
    it(`percentages (${viewport.width} px): cohorts nest rather than add up, and 150 is not a percentage`, async () => {
      const key = `banner-${viewport.width}`
      const eu = { name: 'eu', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 5 }
      await flag(key, [everyone(10), eu])
      const { page: p, errors } = await page(viewport)
      await signIn(p, url, ADMIN_KEY)
      await p.goto(`${url}/#/flags?env=production`)
      const who = p.locator(`tr[data-flag="${key}"] td[data-label="Who gets it"]`)
      await who.waitFor()
      expect(await who.locator('li').allInnerTexts()).toEqual([
        'everyone: 10% of all users',
        "eu: 5% of region eu-west (adds nobody: within everyone's 10%)",
      ])

      await p.getByRole('link', { name: key }).click()
      const card = p.locator('fieldset[data-cohort="eu"]')
      await card.locator('#cohort-1-rollout').fill('25')
      const note = card.locator('[data-audience-preview]')
      await note.waitFor()
      // 10% of eu-west already has it through everyone: 25% adds 15%, not 20%.
      expect(await note.locator('[data-share]').innerText()).toBe('15% more of region eu-west')
      expect((await note.locator('[data-nested]').innerText()).trim()).toBe(
        'everyone already gives the flag to 10% of them (one salt per flag: rollouts nest, they do not add up).',
      )

      await card.locator('#cohort-1-rollout').fill('150')
      const error = card.locator('#cohort-1-rollout-error')
      await error.waitFor()
      expect(await error.innerText()).toBe('150 is not a percentage between 0 and 100')
      // No estimate of "150% of them", and the 100% chip does not light up for 150.
      expect(await note.count()).toBe(0)
      expect(await card.getByRole('button', { name: '100%' }).getAttribute('aria-pressed')).toBe('false')
      // Saved anyway, the server refuses it in the same words, next to the same field, and keeps 5%.
      const [refused] = await Promise.all([
        p.waitForResponse((r) => r.request().method() !== 'GET' && r.url().includes(`/flags/${key}`)),
        p.getByRole('button', { name: 'Save cohorts' }).click(),
      ])
      expect(refused.status()).toBe(400)
      expect(JSON.stringify(await refused.json())).toContain('150 is not a percentage between 0 and 100')
      expect(await error.innerText()).toBe('150 is not a percentage between 0 and 100')
      expect((await api('GET', state(key))).json.cohorts[1].rollout).toBe(5)
      expect(await scrollsSideways(p)).toBe(false)
      await card.screenshot({ path: join(RESULTS, `first-hour-percent-${viewport.width}.png`) })
      expect(errors).toEqual([])
      await p.close()
    }, 120_000)
})
