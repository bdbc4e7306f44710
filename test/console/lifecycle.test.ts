import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningServer } from '../../server/main.ts'
import { openPage, scrollsSideways, signIn } from './browser.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'
import { call } from '../helpers/call-api.ts'

/**
 * The console across a canary's lifecycle, in Debian's headless Chromium: the list's truthful
 * audience, the chart's span and labels, the audience preview, history in words on a phone, and
 * signing in with one environment's key. Screenshots go to test-results/ for a person to look at.
 */

const ADMIN_KEY = 'console-life-admin-key-0123456789ab'
const RESULTS = join(process.cwd(), 'test-results')
const STEP = 20_000
const FLAG = '/api/v1/environments/production/flags/checkout-v3'

describe('the console across the canary lifecycle', () => {
  let stack: ConsoleStack
  let server: RunningServer
  let url: string
  let browser: Browser
  let serverKey: string

  const api = (method: string, path: string, body?: unknown, key = ADMIN_KEY) => call(url, key, method, path, body)


  /** A page whose failure leaves a screenshot and its text (browser.ts `openPage`). */
  const newPage = (viewport = { width: 1280, height: 900 }) => stack.newPage(viewport)

  /** Posts one batch of counts for the flag: [canary exposures, errors, control exposures, errors]. */
  async function traffic(id: string, counts: [number, number, number, number]) {
    const now = Date.now()
    const res = await api('POST', '/api/v1/metrics', { batch: { id, start: now - 1000, end: now, flags: { 'checkout-v3': counts } } }, serverKey)
    expect(res.status).toBe(200)
  }

  beforeAll(async () => {
    stack = await startConsoleStack('lifecycle', ADMIN_KEY)
    ;({ server, url, browser } = stack)
    serverKey = (await api('POST', '/api/v1/keys', { name: 'checkout', kind: 'server', environment: 'production' })).json.secret
    expect((await api('POST', '/api/v1/flags', { key: 'checkout-v3', description: 'Checkout, third try', clientSide: true })).status).toBe(201)
    const state = await api('PATCH', FLAG, {
      enabled: true,
      cohorts: [
        { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['ann', 'bo', 'cy'] }], rollout: 100 },
        { name: 'eu-canary', conditions: [{ attribute: 'region', operator: 'in', values: ['eu-west'] }], rollout: 25 },
      ],
    })
    expect(state.status).toBe(200)
  }, 120_000)

  afterAll(async () => {
    await stack?.close()
  })

  it('lists who gets each flag, the guard in words, the plan step and the browser mark', async () => {
    await api('PUT', `${FLAG}/guard`, { maxErrorRate: 0.05, maxRatioToControl: 3 })
    expect((await api('PUT', `${FLAG}/plan`, { cohort: 'eu-canary', steps: [10, 25, 50, 100], intervalSeconds: 3600 })).status).toBe(200)
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags?env=production`)
    const row = page.locator('tr[data-flag="checkout-v3"]')
    await row.waitFor()
    // The plan starts where the cohort is (25%) and widens only on evidence.
    expect(await row.locator('td[data-label="Who gets it"]').innerText()).toBe('beta: 3 users\neu-canary: 25% of region eu-west')
    expect(await row.locator('td[data-label="Guard"]').innerText()).toBe('collecting evidence')
    expect(await row.locator('td[data-label="Rollout plan"]').innerText()).toMatch(/^step 1 of 3 \(25%\) on eu-canary, active, next at \d\d:\d\d$/)
    expect(await row.locator('.badge.client-side').innerText()).toBe('browsers')
    await page.screenshot({ path: join(RESULTS, 'lifecycle-flags-list.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('fits the chart to a new canary (15 min), labels the y axis, explains canary and control; 1 h, 6 h, 24 h to choose', async () => {
    await traffic('chart-1', [400, 4, 1200, 6])
    // The second batch in a later second than the first (a condition on the clock, not a pause).
    const firstSecond = Math.floor(Date.now() / 1000)
    await vi.waitFor(() => expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(firstSecond), { timeout: 5000, interval: 25 })
    await traffic('chart-2', [300, 1, 900, 3])
    const { page, errors } = await newPage()
    // Which spans the page asks the server for: 24 h once to find the start, then what it shows.
    const spans: string[] = []
    page.on('request', (request) => {
      const match = /\/metrics\?span=(\w+)/.exec(request.url())
      if (match) spans.push(match[1]!)
    })
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/checkout-v3?env=production`)
    const chart = page.locator('figure.chart[data-span]')
    await chart.locator('[data-series=canary] circle').first().waitFor()
    expect(await chart.getAttribute('data-span')).toBe('15m')
    // A guarded canary's last 15 minutes come at 10-second resolution.
    await page.locator('figure.chart[data-resolution="10"]').waitFor()
    await page.getByRole('heading', { name: 'Error rate, last 15 min, per 10 s' }).waitFor()
    const label = chart.locator('[data-axis=y]')
    expect(await label.textContent()).toBe('error rate')
    const box = await label.boundingBox()
    expect(box && box.height > 20 && box.width > 0).toBe(true)
    const explainer = await page.locator('[data-explainer]').innerText()
    expect(explainer).toContain('Canary: users the flag is on for.')
    expect(explainer).toContain('Control: users who met the same cohort')
    expect(explainer).toContain('The span follows the data.')
    await page.locator('section.guard').screenshot({ path: join(RESULTS, 'lifecycle-chart-15m.png') })

    await page.getByRole('button', { name: '6 h' }).click()
    await page.locator('figure.chart[data-span="6h"]').waitFor()
    await page.getByRole('heading', { name: 'Error rate, last 6 h, per minute' }).waitFor()
    expect(await page.getByRole('button', { name: '6 h' }).getAttribute('aria-pressed')).toBe('true')
    expect(spans[0]).toBe('24h')
    const deadline = Date.now() + STEP
    while (!spans.includes('6h') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(spans).toContain('6h')
    await page.getByRole('button', { name: '15 min' }).click()
    await page.locator('figure.chart[data-span="15m"]').waitFor()
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('previews the audience of a widening before it is saved: users and the share of the region', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/checkout-v3?env=production`)
    await page.locator('figure.chart [data-series=canary] circle').first().waitFor()
    await page.locator('#cohort-1-rollout').fill('75')
    const note = page.locator('fieldset[data-cohort="eu-canary"] [data-audience-preview]')
    await note.waitFor()
    // The plan left the cohort at 25% (no evidence for its next step yet).
    expect(await note.locator('[data-share]').innerText()).toBe('50% more of region eu-west')
    // 2,800 canary + control exposures in the last hour (two batches) × 50 percentage points.
    expect(await note.locator('[data-users]').innerText()).toBe('≈ 1,400 more users')
    expect(await note.innerText()).toContain('(25% → 75% of them; everyone already in stays in)')
    await page.locator('fieldset[data-cohort="eu-canary"]').screenshot({ path: join(RESULTS, 'lifecycle-audience-preview.png') })
    // Nothing is saved by looking.
    expect((await api('GET', FLAG)).json.cohorts[1].rollout).toBe(25)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('shows history in plain words on a phone: labels, no raw field names, no word broken across lines; filters by actor', async () => {
    // A trip: the guard switches it off, the plan stops; the history now has guard and plan rows.
    await traffic('failing-1', [1000, 600, 1000, 10])
    const deadline = Date.now() + STEP
    while ((await api('GET', FLAG)).json.enabled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect((await api('GET', FLAG)).json.enabled).toBe(false)

    const { page, errors } = await newPage({ width: 390, height: 844 })
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/checkout-v3?env=production`)
    const history = page.locator('section.audit')
    await history.locator('.audit-entry[data-action="guard.trip"]').waitFor()
    await history.locator('.audit-entry[data-action="plan.start"]').waitFor()
    const text = await history.innerText()
    for (const raw of ['plan.nextAt', 'nextAt', 'guard.lastTrip', 'lastTrip', 'max_ratio_to_control', 'maxRatioToControl', 'plan.status', 'max_error_rate'])
      expect(text, raw).not.toContain(raw)
    expect(text).toContain('Rollout plan · Next step at')
    expect(text).toContain('Guard · Last trip')
    expect(text).toContain('Guard · Ratio-to-control limit')
    expect(text).toContain('the guard tripped: switched the flag off')
    // The trip's details, read through the audited-trip shape: why it tripped, in words.
    expect(text).toMatch(/Why: .+, limit .+ test: .+ \([\d,]+ errors in [\d,]+ exposures\)/)

    // Every word on one line: a word whose characters sit on two lines was broken mid-word.
    const broken = await page.evaluate(() => {
      const found: string[] = []
      const root = document.querySelector('section.audit')!
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const value = node.nodeValue ?? ''
        for (const match of value.matchAll(/[^\s\-·/,()]+/g)) {
          const range = document.createRange()
          range.setStart(node, match.index)
          range.setEnd(node, match.index + match[0].length)
          const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)))
          if (tops.size > 1) found.push(match[0])
        }
      }
      return found
    })
    expect(broken).toEqual([])
    expect(await scrollsSideways(page)).toBe(false)
    await history.screenshot({ path: join(RESULTS, 'lifecycle-history-390.png') })
    // The first screenful of it at full size, to read.
    await history.evaluate((el) => el.scrollIntoView())
    await page.screenshot({ path: join(RESULTS, 'lifecycle-history-390-top.png') })

    await page.locator('#audit-actor').selectOption('guard')
    await history.locator('.audit-entry[data-action="guard.trip"]').waitFor()
    const actions = await history.locator('.audit-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))
    expect(actions).toEqual(['guard.trip'])
    await page.locator('#audit-actor').selectOption('person')
    await history.locator('.audit-entry[data-action="plan.start"]').waitFor()
    expect(await history.locator('.audit-entry[data-action="guard.trip"]').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it('lines up history columns at 1280 px', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.goto(`${url}/#/flags/checkout-v3?env=production`)
    await page.locator('section.audit .audit-entry[data-action="guard.trip"]').waitFor()
    const lefts = await page.locator('section.audit table.diff').evaluateAll((tables) =>
      tables.map((t) => Array.from(t.querySelectorAll('thead th')).map((th) => Math.round(th.getBoundingClientRect().left))),
    )
    expect(lefts.length).toBeGreaterThan(2)
    for (const columns of lefts) expect(columns).toEqual(lefts[0])
    await page.locator('section.audit').evaluate((el) => el.scrollIntoView())
    await page.screenshot({ path: join(RESULTS, 'lifecycle-history-1280.png') })
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)

  it("signs in with one environment's admin key and lands on that environment, seeing only it", async () => {
    const scoped = await api('POST', '/api/v1/keys', { name: 'prod-pm', kind: 'admin', environment: 'production' })
    expect(scoped.status).toBe(201)
    const { page, errors } = await newPage()
    // A link someone shared, pointing at development.
    await page.goto(`${url}/#/flags?env=development`)
    expect(await page.locator('main.sign-in').innerText()).toContain("an environment's key only its own")
    await page.getByLabel('Admin key').fill(scoped.json.secret)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor()
    expect(await page.locator('#environment').inputValue()).toBe('production')
    expect(await page.locator('#environment option').allInnerTexts()).toEqual(['Production'])
    await page.locator('tr[data-flag="checkout-v3"]').waitFor()
    await page.getByRole('link', { name: 'checkout-v3' }).click()
    await page.locator('section.audit .audit-entry').first().waitFor()
    await page.locator('section.guard figure.chart[data-span]').waitFor()
    const body = await page.locator('body').innerText()
    expect(body).not.toContain('belongs to environment')
    expect(body).not.toContain('needs a global admin key')
    await page.screenshot({ path: join(RESULTS, 'lifecycle-env-key.png'), fullPage: true })
    // The one page that needs a global key says so in words.
    await page.getByRole('link', { name: 'Connected SDKs' }).click()
    await page.getByText('listed for global admin keys only; this key belongs to one environment').waitFor()
    expect(errors).toEqual([])
    await page.close()
  }, 120_000)
})
