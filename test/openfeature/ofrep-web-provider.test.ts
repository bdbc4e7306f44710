import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForBrowser, launchChromium, serveSite, type Site } from '../helpers/chromium.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import type { OfrepPage } from './pages/ofrep-web-page.ts'

/**
 * The published `@openfeature/ofrep-web-provider` with `@openfeature/web-sdk`, unmodified, in
 * headless Chromium, on another origin than a real flag server: bulk evaluation, 304 on an
 * unchanged ETag, a change through the admin API reaching the page through the SSE event
 * stream, a client key that cannot see a hidden flag, and a wrong key that is fatal.
 */
const ENV = '/api/v1/environments/development'
const PAGE = `<!doctype html><meta charset="utf-8"><title>ofrep</title><script type="module" src="/page.js"></script>`

describe('published OFREP web provider in headless Chromium', () => {
  let server: TestServer
  let clientKey: string
  let site: Site
  let siteUrl: string
  let browser: Browser
  let page: Page
  /** Every bulk request the page made: status, If-None-Match, and the SSE metadata query. */
  const bulk: Array<{ status: number; ifNoneMatch: string | undefined; query: string }> = []

  type PageWindow = { ofrep: OfrepPage }
  const start = (domain: string, key: string) =>
    page.evaluate(
      ([d, url, k]) => (window as unknown as PageWindow).ofrep.start(d!, url!, k!, { targetingKey: 'alice' }),
      [domain, server.url, key],
    )
  const details = (domain: string, flag: string, defaultValue: boolean) =>
    page.evaluate(([d, f, v]) => (window as unknown as PageWindow).ofrep.details(d as string, f as string, v as boolean), [domain, flag, defaultValue])
  const events = (domain: string) => page.evaluate((d) => (window as unknown as PageWindow).ofrep.events[d], domain)
  const status = (domain: string) => page.evaluate((d) => (window as unknown as PageWindow).ofrep.status(d), domain)

  beforeAll(async () => {
    const script = await bundleForBrowser(new URL('./pages/ofrep-web-page.ts', import.meta.url).pathname)
    site = await serveSite({ '/': PAGE, '/page.js': script })
    siteUrl = site.url

    server = await startTestServer()
    clientKey = await server.createKey('client')
    for (const [key, clientSide] of [['web-beta', true], ['web-other', true], ['web-hidden', false]] as const)
      expect((await server.api('POST', '/api/v1/flags', { key, clientSide })).status).toBe(201)
    const beta = { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['alice'] }], rollout: 100 }
    await server.api('PATCH', `${ENV}/flags/web-beta`, { enabled: true, cohorts: [beta] })
    const carol = { name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['carol'] }], rollout: 100 }
    await server.api('PATCH', `${ENV}/flags/web-other`, { enabled: true, cohorts: [carol] })
    await server.api('PATCH', `${ENV}/flags/web-hidden`, { enabled: true, cohorts: [{ name: 'all', conditions: [], rollout: 100 }] })

    browser = await launchChromium()
    page = await browser.newPage()
    page.on('response', (response) => {
      const url = new URL(response.url())
      if (url.pathname !== '/ofrep/v1/evaluate/flags' || response.request().method() !== 'POST') return
      bulk.push({ status: response.status(), ifNoneMatch: response.request().headers()['if-none-match'], query: url.search })
    })
    await page.goto(siteUrl)
    await page.waitForFunction(() => 'ofrep' in window)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await site?.close()
    await server?.close()
  })

  it('bulk-evaluates for the context: the beta user is in, a hidden flag is not found', async () => {
    expect(await start('main', clientKey)).toBe('ready')
    expect(await details('main', 'web-beta', false)).toEqual({ value: true, reason: 'TARGETING_MATCH', variant: 'on' })
    expect(await details('main', 'web-other', true)).toEqual({ value: false, reason: 'DEFAULT', variant: 'off' })
    expect(await details('main', 'web-hidden', false)).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' })
    expect(bulk[0]).toMatchObject({ status: 200, ifNoneMatch: undefined })
  })

  it('refetches on an SSE event with the ETag it holds and gets 304 when its answers did not change', async () => {
    // Another user joins another flag's beta: alice's answers are the same.
    await server.api('PATCH', `${ENV}/flags/web-other`, {
      cohorts: [{ name: 'beta', conditions: [{ attribute: 'userId', operator: 'in', values: ['carol', 'dave'] }], rollout: 100 }],
    })
    await expect.poll(() => bulk.some((r) => r.status === 304), { timeout: 15_000 }).toBe(true)
    const notModified = bulk.find((r) => r.status === 304)!
    expect(notModified.ifNoneMatch).toMatch(/^"[\w-]+"$/)
    // The event's etag travels back as the provider's SSE metadata.
    expect(notModified.query).toMatch(/flagConfigEtag=/)
    expect(await events('main')).toEqual(['PROVIDER_READY'])
  })

  it('sees a change through the admin API via the event stream: CONFIGURATION_CHANGED with the flag', async () => {
    await server.api('PATCH', `${ENV}/flags/web-beta`, { enabled: false })
    await expect.poll(() => events('main'), { timeout: 15_000 }).toEqual(['PROVIDER_READY', 'PROVIDER_CONFIGURATION_CHANGED:web-beta'])
    expect(await details('main', 'web-beta', true)).toEqual({ value: false, reason: 'DISABLED', variant: 'off' })
  })

  it('a wrong key is fatal', async () => {
    expect(await start('wrong', 'cf_client_wrong-key')).toBe(
      'failed:ProviderFatalError',
    )
    expect(await status('wrong')).toBe('FATAL')
    expect(await details('wrong', 'web-beta', true)).toMatchObject({ value: true, errorCode: 'PROVIDER_FATAL' })
  })
})
