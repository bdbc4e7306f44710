import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startServer, type RunningServer, type ServerOptions } from '../../server/main.ts'
import { launchChromium, openPage } from './browser.ts'

/** Where a failed console test leaves its screenshot. */
const RESULTS = join(process.cwd(), 'test-results')
/** Every wait of a page: the browser shares two cores with the server, vitest and other work. */
const STEP = 20_000

/** A real server on a fresh SQLite file and Debian's Chromium: what every console test starts from. */
export interface ConsoleStack {
  server: RunningServer
  /** `http://127.0.0.1:<port>` */
  url: string
  browser: Browser
  /** A page with a deadline on every wait; its screenshot and text are kept when the test fails. */
  newPage(viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }>
  close(): Promise<void>
}

/**
 * @example
 * const stack = await startConsoleStack('approvals', ADMIN_KEY)
 * const { page } = await stack.newPage({ width: 390, height: 844 })
 */
export async function startConsoleStack(name: string, adminKey: string, options: ServerOptions = {}): Promise<ConsoleStack> {
  const directory = mkdtempSync(join(tmpdir(), `canary-flags-console-${name}-`))
  mkdirSync(RESULTS, { recursive: true })
  const server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(directory, 'db.sqlite'), adminKey, publicUrl: '' },
    { log: () => {}, ...options },
  )
  const browser = await launchChromium()
  return {
    server,
    url: `http://127.0.0.1:${server.port}`,
    browser,
    newPage: (viewport = { width: 1280, height: 800 }) => openPage(browser, viewport, RESULTS, STEP),
    close: async () => {
      await browser.close()
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
