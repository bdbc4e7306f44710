import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { onTestFailed } from 'vitest'

export { launchChromium } from '../helpers/chromium.ts'

/** Browser-side errors collected per page, so a test can fail on an uncaught exception. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // The app reports views that failed to render (which the renderer itself would swallow).
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().startsWith('console:'))
      errors.push(message.text())
  })
  return errors
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, url: string, adminKey: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Admin key').fill(adminKey)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor()
}

/**
 * Ids of form controls without a label (neither `<label for>`, a wrapping label, nor an
 * `aria-label`/`aria-labelledby`).
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement>('input, select, textarea'))
      .filter((el) => el.type !== 'hidden')
      .filter(
        (el) =>
          (el.labels?.length ?? 0) === 0 &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => el.id || el.outerHTML.slice(0, 80)),
  )
}

/** Whether the page is wider than the window (a horizontal scroll bar on a phone). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)
}

/**
 * A page with a deadline on every wait; when the test fails, its screenshot goes to `results`
 * and its text and browser errors to the log, for a person to read.
 *
 * @example
 * const { page, errors } = await openPage(browser, { width: 390, height: 844 }, 'test-results')
 */
export async function openPage(
  browser: Browser,
  viewport: { width: number; height: number },
  results: string,
  timeoutMs = 20_000,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport })
  page.setDefaultTimeout(timeoutMs)
  const errors = collectErrors(page)
  onTestFailed(async ({ task }) => {
    if (page.isClosed()) return
    const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)
    await page.screenshot({ path: join(results, `failed-${name}.png`), fullPage: true }).catch(() => {})
    const text = await page.locator('body').innerText().catch(() => '(no text)')
    console.error(`page at ${page.url()} when "${task.name}" failed (errors: ${JSON.stringify(errors)}):\n${text.slice(0, 4000)}`)
  })
  return { page, errors }
}
