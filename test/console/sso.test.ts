import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../helpers/call-api.ts'
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'

/**
 * The console's "Sign in with <provider>": Debian's headless Chromium follows the real redirects
 * to a real OpenID provider on loopback, signs in on its page, consents, and lands back on the
 * console signed in as the person the provider named, with the role their group maps to.
 */

const ADMIN_KEY = 'sso-console-admin-key-0123456789abcdef'

describe('console: single sign-on', () => {
  let stack: ConsoleStack
  let idp: TestProvider

  beforeAll(async () => {
    idp = await startTestProvider({ pat: { email: 'pat@example.com', name: 'Pat PM', groups: ['pm'] } })
    stack = await startConsoleStack('sso', ADMIN_KEY, {
      sso: idp.ssoConfig('pm=production:editor'),
    })
    idp.register(`${stack.url}/api/v1/sso/callback`)
  }, 120_000)

  afterAll(async () => {
    await stack?.close()
    await idp?.close()
  })

  it('signs a person in through the provider and lands on the console as them', async () => {
    const { page, errors } = await stack.newPage({ width: 1280, height: 800 })
    await page.goto(stack.url)
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click()
    // The provider's development login page: any password signs in the named account.
    await page.locator('input[name="login"]').fill('pat')
    await page.locator('input[name="password"]').fill('anything')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByTestId('signed-in-as').filter({ hasText: 'pat@example.com' }).waitFor()
    expect(new URL(page.url()).origin).toBe(stack.url)
    const members = await call(stack.url, ADMIN_KEY, 'GET', '/api/v1/members')
    expect(members.json.items).toEqual([expect.objectContaining({ email: 'pat@example.com', name: 'Pat PM', roles: [{ environment: 'production', role: 'editor' }] })])
    expect(errors).toEqual([])
  })

  it('with CANARY_SSO_ONLY shows the provider and no password form (the admin key form stays)', async () => {
    const only = await startConsoleStack('sso-only', ADMIN_KEY, {
      ssoOnly: true,
      sso: idp.ssoConfig('pm=production:editor'),
    })
    try {
      const { page, errors } = await only.newPage({ width: 1280, height: 800 })
      await page.goto(only.url)
      await page.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor()
      await page.getByLabel('Admin key').waitFor()
      await expect(page.getByRole('button', { name: 'Sign in with password' }).count()).resolves.toBe(0)
      expect(errors).toEqual([])
    } finally {
      await only.close()
    }
  })
})
