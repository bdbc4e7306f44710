import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBrowser } from '../../sdk/build.ts'
import { launchChromium, serveSite, type Site } from '../helpers/chromium.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'

/**
 * The browser build in a real browser: headless Debian Chromium loads a page (served here, on
 * another origin than the flag server) that imports the bundle as an ES module, connects with a
 * client key and shows a flag's value; the admin API flips the flag and the page must follow.
 * No skipping: CI installs chromium.
 */

const FLAG = 'new-header'

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>canary-flags browser test</title>
<p>new-header: <span id="value">loading</span> (<span id="status">starting</span>)</p>
<script type="module">
  import { createClient } from './browser.js'
  const params = new URLSearchParams(location.search)
  const flags = createClient({
    url: params.get('server'),
    key: params.get('key'),
    user: { userId: params.get('user') },
    cache: 'canary-flags-test',
    flushIntervalMs: 200,
  })
  const render = () => {
    document.getElementById('value').textContent = String(flags.isEnabled('${FLAG}'))
    document.getElementById('status').textContent = flags.status
  }
  flags.on('change', render)
  flags.on('error', (error) => (document.getElementById('status').textContent = 'error:' + error.code))
  flags.ready().then(render, () => {})
  window.flags = flags
</script>`

describe('browser SDK in headless Chromium', () => {
  let server: TestServer
  let clientKey: string
  let directory: string
  let site: Site
  let siteUrl: string
  let browser: Browser

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'canary-flags-browser-'))
    await buildBrowser(join(directory, 'browser.js'))
    const bundle = readFileSync(join(directory, 'browser.js'))

    site = await serveSite({ '/': PAGE, '/browser.js': bundle })
    siteUrl = site.url

    server = await startTestServer()
    clientKey = await server.createKey('client')
    expect((await server.api('POST', '/api/v1/flags', { key: FLAG, clientSide: true })).status).toBe(201)
    await setFlag({ enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] })

    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await site?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  async function setFlag(state: Record<string, unknown>) {
    const response = await server.api('PATCH', `/api/v1/environments/development/flags/${FLAG}`, state)
    expect(response.status, JSON.stringify(response.json)).toBe(200)
  }

  /**
   * When this file's first page opened. The flag's minute rows hold every page's credited counts
   * (an earlier page's last flush lands after it closed), and pages open one after another, so
   * all of them together weigh at most one user for this long.
   */
  let firstPageOpenedAt: number | undefined

  /** A page for `user`, in its own browser context unless given one (pages of a context share localStorage). */
  async function openPage(user: string, context?: BrowserContext): Promise<Page> {
    firstPageOpenedAt ??= Date.now()
    const page = await (context ?? browser).newPage()
    const query = new URLSearchParams({ server: server.url, key: clientKey, user })
    await page.goto(`${siteUrl}?${query}`)
    return page
  }

  const text = (page: Page, selector: string) => page.locator(selector).textContent()

  it('shows the flag, then the new value after the admin API flips it', async () => {
    const page = await openPage('browser-user')
    await expect.poll(() => text(page, '#value'), { timeout: 10_000 }).toBe('true')
    expect(await text(page, '#status')).toBe('ready')

    await setFlag({ enabled: false })
    await expect.poll(() => text(page, '#value'), { timeout: 10_000 }).toBe('false')

    await setFlag({ enabled: true })
    await expect.poll(() => text(page, '#value'), { timeout: 10_000 }).toBe('true')
    await page.close()
  }, 60_000)

  it("counts a page's errors once per user: one exposure and one error a second at most, in the server's arm", async () => {
    const page = await openPage('counting-user')
    await expect.poll(() => text(page, '#value'), { timeout: 10_000 }).toBe('true')
    // A burst of 200 failing requests from one browser.
    await page.evaluate((flag) => {
      const flags = (window as unknown as { flags: { isEnabled(f: string): boolean; recordError(f: string): void } }).flags
      for (let i = 0; i < 200; i++) {
        flags.isEnabled(flag)
        flags.recordError(flag)
      }
    }, FLAG)
    const counted = async () => {
      const metrics = await server.api('GET', `/api/v1/environments/development/flags/${FLAG}/metrics`)
      const rows = metrics.json.minutes as Array<{ canaryExposures: number; canaryErrors: number; controlExposures: number }>
      return rows.reduce(
        (t, row) => ({ exposures: t.exposures + row.canaryExposures, errors: t.errors + row.canaryErrors, control: t.control + row.controlExposures }),
        { exposures: 0, errors: 0, control: 0 },
      )
    }
    await expect.poll(async () => (await counted()).errors, { timeout: 10_000 }).toBeGreaterThan(0)
    const { exposures, errors, control } = await counted()
    const elapsedSeconds = (Date.now() - firstPageOpenedAt!) / 1000
    // One user's worth: at most one exposure per second since the first page connected, not 200.
    expect(exposures).toBeLessThanOrEqual(elapsedSeconds)
    // The burst's reported rate (100%) is kept, at one user's weight; renders before it counted no errors.
    expect(errors).toBeLessThanOrEqual(exposures)
    expect(errors).toBeLessThanOrEqual(elapsedSeconds)
    expect(control).toBe(0)
    await page.close()
  }, 60_000)

  it('the shipped bundle (internal names shortened) answers through every public method, identifies, caches and closes', async () => {
    const VIP = 'vip-only'
    expect((await server.api('POST', '/api/v1/flags', { key: VIP, clientSide: true })).status).toBe(201)
    const vipState = { enabled: true, cohorts: [{ name: 'vip', conditions: [{ attribute: 'userId', operator: 'in', values: ['vip'] }], rollout: 100 }] }
    expect((await server.api('PATCH', `/api/v1/environments/development/flags/${VIP}`, vipState)).status).toBe(200)

    const context = await browser.newContext()
    const page = await openPage('api-user', context)
    await expect.poll(() => text(page, '#value'), { timeout: 10_000 }).toBe('true')
    const seen = await page.evaluate(
      async ({ flag, vip }) => {
        type Flags = import('../../sdk/client/types.ts').FlagClient
        const flags = (window as unknown as { flags: Flags }).flags
        const unknown: string[] = []
        flags.on('unknownFlag', (key) => unknown.push(key))
        const before = { vip: flags.isEnabled(vip), explain: flags.explain(flag), resolve: flags.resolve(flag) }
        const missing = [flags.explain('no-such-flag'), flags.explain('no-such-flag', undefined, true)]
        const ran = await flags.run(flag, undefined, { on: async () => 'new', off: () => 'old' })
        flags.recordDuration(flag, undefined, 700)
        let changed: string[] = []
        flags.on('change', (keys) => (changed = keys))
        await flags.identify({ userId: 'vip' })
        const after = { vip: flags.isEnabled(vip), explainVip: flags.explain(vip), changed }
        return { before, missing, unknown, ran, after, version: flags.version, status: flags.status }
      },
      { flag: FLAG, vip: VIP },
    )
    expect(seen.before).toEqual({
      vip: false,
      explain: { enabled: true, reason: 'TARGETING_MATCH' },
      resolve: { enabled: true, reason: 'TARGETING_MATCH', generic: 'TARGETING_MATCH' },
    })
    expect(seen.missing).toEqual([
      { enabled: false, reason: 'unknown_flag' },
      { enabled: true, reason: 'unknown_flag' },
    ])
    expect(seen.unknown).toEqual(['no-such-flag'])
    expect(seen.ran).toBe('new')
    expect(seen.after).toEqual({ vip: true, explainVip: { enabled: true, reason: 'TARGETING_MATCH' }, changed: [VIP] })
    expect(seen.version).toBeGreaterThan(0)
    expect(seen.status).toBe('ready')

    // run's and recordDuration's durations reach the server (one user's weight at most).
    const timed = async () => {
      const metrics = await server.api('GET', `/api/v1/environments/development/flags/${FLAG}/metrics`)
      return (metrics.json.minutes as Array<{ canaryTimed: number }>).reduce((sum, row) => sum + row.canaryTimed, 0)
    }
    await expect.poll(timed, { timeout: 10_000 }).toBeGreaterThan(0)

    // close() writes the cache; a page that cannot reach the server answers from it.
    await page.evaluate(() => (window as unknown as { flags: { close(): Promise<void> } }).flags.close())
    expect(await page.evaluate(() => (window as unknown as { flags: { status: string } }).flags.status)).toBe('closed')
    // Same browser context, so the same localStorage.
    const offline = await context.newPage()
    await offline.goto(`${siteUrl}?${new URLSearchParams({ server: 'http://127.0.0.1:9', key: clientKey, user: 'vip' })}`)
    await expect.poll(() => text(offline, '#status'), { timeout: 10_000 }).toBe('stale')
    expect(await offline.evaluate((vip) => (window as unknown as { flags: { isEnabled(f: string): boolean } }).flags.isEnabled(vip), VIP)).toBe(true)
    await context.close()
  }, 60_000)

  it('a wrong client key leaves the page working on defaults', async () => {
    const page = await browser.newPage()
    const query = new URLSearchParams({ server: server.url, key: 'cf_client_wrong', user: 'u' })
    await page.goto(`${siteUrl}?${query}`)
    // A browser hides the upgrade's 401; the SDK learns it from an HTTP probe, which the page
    // can read because the server answers CORS: the SDK stops for good and says why.
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { flags: { status: string } }).flags.status), { timeout: 20_000 })
      .toBe('fatal')
    expect(await page.evaluate((flag) => (window as unknown as { flags: { isEnabled(f: string): boolean } }).flags.isEnabled(flag), FLAG)).toBe(false)
    await page.close()
  }, 60_000)
})
