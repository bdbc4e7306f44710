import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server/main.ts'
import { call } from '../helpers/call-api.ts'
import { signIn } from './browser.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'

/**
 * People in the console: the first sign-in with the admin key offers to create the first admin
 * person and continues as them; password sign-in, the user menu and sign-out; a person sees only
 * the environments of their roles. A real server and Debian's headless Chromium.
 */

const ADMIN_KEY = 'people-console-admin-key-0123456789abcdef'
const ROOT_PASSWORD = 'first admin passphrase 2026'
const PM_PASSWORD = 'product manager passphrase'

describe('console: people', () => {
  let stack: ConsoleStack
  let server: RunningServer
  let url: string
  let browser: Browser

  beforeAll(async () => {
    stack = await startConsoleStack('people', ADMIN_KEY, { passwordCost: { N: 2 ** 12, r: 8, p: 1 } })
    ;({ server, url, browser } = stack)
  }, 120_000)

  afterAll(async () => {
    await stack?.close()
  })

  const newPage = () => stack.newPage({ width: 1280, height: 800 })

  it('the first sign-in with the admin key offers to create the first admin person, and continues as them', async () => {
    const { page, errors } = await newPage()
    await signIn(page, url, ADMIN_KEY)
    await page.getByRole('button', { name: 'Create the first admin person' }).click()
    await page.getByLabel('Email').fill('Root@Example.com')
    await page.getByLabel('Name').fill('Root')
    await page.getByLabel('Password').fill(ROOT_PASSWORD)
    await page.getByRole('button', { name: 'Create and continue as this person' }).click()
    await page.getByTestId('signed-in-as').filter({ hasText: 'root@example.com' }).waitFor()
    // The live feed opens with the session's ticket.
    await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor()
    await expect(page.getByRole('button', { name: 'Create the first admin person' }).count()).resolves.toBe(0)
    // The key is no longer kept in the tab; the session cookie is httpOnly (scripts cannot read it).
    expect(await page.evaluate(() => [sessionStorage.length, document.cookie])).toEqual([0, ''])
    const members = await call(url, ADMIN_KEY, 'GET', '/api/v1/members')
    expect(members.json.items).toEqual([expect.objectContaining({ email: 'root@example.com', admin: true, hasPassword: true })])
    // A reload stays signed in (the cookie), then the user menu signs out and the server ends the session.
    await page.reload()
    await page.getByTestId('signed-in-as').filter({ hasText: 'root@example.com' }).waitFor()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByLabel('Admin key').waitFor()
    await page.reload()
    await page.getByLabel('Admin key').waitFor()
    const audit = await call(url, ADMIN_KEY, 'GET', '/api/v1/audit?actor=person:root@example.com&limit=10')
    expect(audit.json.items.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['session.sign_in', 'session.sign_out']))
    expect(errors).toEqual([])
  })

  it('a product manager signs in with a password, sees only their environments, and a wrong password says so', async () => {
    const created = await call(url, ADMIN_KEY, 'POST', '/api/v1/members', {
      email: 'pm@example.com',
      name: 'Pam',
      password: PM_PASSWORD,
      roles: [{ environment: 'development', role: 'editor' }],
    })
    expect(created.status).toBe(201)
    const { page, errors } = await newPage()
    await page.goto(url)
    await page.getByLabel('Email').fill('pm@example.com')
    await page.getByLabel('Password').fill('not her password at all')
    await page.getByRole('button', { name: 'Sign in with password' }).click()
    await page.getByText('Wrong email or password.').waitFor()
    await page.getByLabel('Password').fill(PM_PASSWORD)
    await page.getByRole('button', { name: 'Sign in with password' }).click()
    await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor()
    await page.getByTestId('signed-in-as').filter({ hasText: 'pm@example.com' }).waitFor()
    const options = await page.getByLabel('Environment').locator('option').allTextContents()
    expect(options).toEqual(['Development'])
    await expect(page.getByRole('button', { name: 'Create the first admin person' }).count()).resolves.toBe(0)
    expect(errors).toEqual([])
  })

  it('a person changes their password from the user menu: a wrong current one is named under its field, the right one ends their other sessions', async () => {
    const created = await call(url, ADMIN_KEY, 'POST', '/api/v1/members', { email: 'pw@example.com', name: 'Pia', password: PM_PASSWORD, roles: [{ environment: 'development', role: 'viewer' }] })
    expect(created.status).toBe(201)
    // Another session of hers, elsewhere (a second browser's cookie).
    const elsewhere = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'pw@example.com', password: PM_PASSWORD }) })
    const otherCookie = elsewhere.headers.getSetCookie()[0]!.split(';')[0]!
    const { page, errors } = await newPage()
    await page.goto(url)
    await page.getByLabel('Email').fill('pw@example.com')
    await page.getByLabel('Password').fill(PM_PASSWORD)
    await page.getByRole('button', { name: 'Sign in with password' }).click()
    await page.getByTestId('signed-in-as').filter({ hasText: 'pw@example.com' }).waitFor()
    await page.getByRole('button', { name: 'Change password' }).click()
    await page.getByLabel('Current password').fill('not my password at all')
    await page.getByLabel('New password').fill('pia changed passphrase 1')
    await page.getByRole('form', { name: 'Change password' }).getByRole('button', { name: 'Change password' }).click()
    await page.getByText('not your current password').waitFor()
    await page.getByLabel('Current password').fill(PM_PASSWORD)
    await page.getByRole('form', { name: 'Change password' }).getByRole('button', { name: 'Change password' }).click()
    await page.getByText('Password changed. 1 other session was signed out.').waitFor()
    // Still signed in here; the other session is over.
    await page.getByTestId('signed-in-as').filter({ hasText: 'pw@example.com' }).waitFor()
    expect((await fetch(`${url}/api/v1/session`, { headers: { cookie: otherCookie } })).status).toBe(401)
    expect(errors).toEqual([])
  })
})
