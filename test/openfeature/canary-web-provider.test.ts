import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForBrowser, launchChromium, serveSite, type Site } from '../helpers/chromium.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import type { CanaryPage } from './pages/canary-web-page.ts'

/**
 * Our web provider with the published `@openfeature/web-sdk` in headless Chromium, bundled the
 * way an application bundles it (the SDK's browser build), against a real server on another
 * origin: answers for the context, the context followed, a change as CONFIGURATION_CHANGED,
 * `track('error')` in the guard's counts, and revocation as ERROR.
 */
const ENV = '/api/v1/environments/development'
const FLAG = 'canary-web-beta'
const PAGE = `<!doctype html><meta charset="utf-8"><title>canary web provider</title><script type="module" src="/page.js"></script>`

describe('our web provider in headless Chromium', () => {
  let server: TestServer
  let key: { id: string; secret: string }
  let site: Site
  let browser: Browser
  let page: Page
  type PageWindow = { canary: CanaryPage }

  beforeAll(async () => {
    const script = await bundleForBrowser(new URL('./pages/canary-web-page.ts', import.meta.url).pathname)
    site = await serveSite({ '/': PAGE, '/page.js': script })

    server = await startTestServer()
    const created = await server.api('POST', '/api/v1/keys', { name: 'web', kind: 'client', environment: 'development' })
    key = { id: created.json.id, secret: created.json.secret }
    await server.api('POST', '/api/v1/flags', { key: FLAG, clientSide: true })
    await server.api('PATCH', `${ENV}/flags/${FLAG}`, {
      enabled: true,
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 }],
    })

    browser = await launchChromium()
    page = await browser.newPage()
    await page.goto(site.url)
    await page.waitForFunction(() => 'canary' in window)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await site?.close()
    await server?.close()
  })

  const details = (flag: string, defaultValue: boolean) =>
    page.evaluate(([f, v]) => (window as unknown as PageWindow).canary.details(f as string, v as boolean), [flag, defaultValue] as const)
  const events = () => page.evaluate(() => (window as unknown as PageWindow).canary.events)

  it('answers for the context, follows a new context, and reports a change', async () => {
    const started = await page.evaluate(
      ([url, secret]) => (window as unknown as PageWindow).canary.start(url!, secret!, { targetingKey: 'alice' }),
      [server.url, key.secret],
    )
    expect(started).toBe('ready')
    expect(await details(FLAG, false)).toEqual({ value: true, reason: 'TARGETING_MATCH', variant: 'on' })
    await page.evaluate(() => (window as unknown as PageWindow).canary.setContext({ targetingKey: 'bob' }))
    expect(await details(FLAG, true)).toEqual({ value: false, reason: 'DEFAULT', variant: 'off' })
    await page.evaluate(() => (window as unknown as PageWindow).canary.setContext({ targetingKey: 'alice' }))
    expect((await details(FLAG, false)).value).toBe(true)

    await server.api('PATCH', `${ENV}/flags/${FLAG}`, {
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice', 'carol'] }], rollout: 100 }],
    })
    await server.api('PATCH', `${ENV}/flags/${FLAG}`, { enabled: false })
    await expect.poll(() => details(FLAG, true), { timeout: 10_000 }).toEqual({ value: false, reason: 'DISABLED', variant: 'off' })
    expect(await events()).toEqual(['PROVIDER_READY', `PROVIDER_CONFIGURATION_CHANGED:${FLAG}`])
    await server.api('PATCH', `${ENV}/flags/${FLAG}`, { enabled: true })
    await expect.poll(() => details(FLAG, false), { timeout: 10_000 }).toMatchObject({ value: true })
  })

  it("track('error', { flag }) reaches the guard's counts", async () => {
    const minutes = async () => (await server.api('GET', `${ENV}/flags/${FLAG}/metrics`)).json.minutes as Array<{ canaryExposures: number; canaryErrors: number }>
    const total = async (column: 'canaryExposures' | 'canaryErrors') => (await minutes()).reduce((sum, row) => sum + row[column], 0)
    const errors = () => total('canaryErrors')
    // As in a page: the flag was evaluated earlier and its exposure has gone out; the error comes
    // later, alone in its batch, and is credited against that exposure.
    await expect.poll(() => total('canaryExposures'), { timeout: 45_000 }).toBeGreaterThan(0)
    await page.evaluate((flag) => (window as unknown as PageWindow).canary.track(flag), FLAG)
    // A browser's evidence is credited at most one user's worth (a fraction of one error per second).
    // The count arrives with the SDK's next flush; on a loaded machine that can take a while.
    await expect.poll(errors, { timeout: 45_000 }).toBeGreaterThan(0)
    expect(await errors()).toBeLessThanOrEqual(1)
  }, 60_000)

  it('a revoked key is a provider ERROR', async () => {
    await server.api('DELETE', `/api/v1/keys/${key.id}`)
    await expect.poll(events, { timeout: 10_000 }).toContain('PROVIDER_ERROR')
    expect((await events()).at(-1)).toBe('PROVIDER_ERROR')
  })
})
