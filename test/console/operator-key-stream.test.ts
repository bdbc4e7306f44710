import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../server/main.ts'
import { signIn } from './browser.ts'
import { startConsoleStack, type ConsoleStack } from './stack.ts'
import { call } from '../helpers/call-api.ts'

/**
 * Finding 12: an operator key with spaces is no valid WebSocket sub-protocol token. The console
 * must still stream, without the key in the socket's URL (a single-use ticket instead).
 * A real server and Debian's headless Chromium.
 */

// At least 32 characters (the operator-key minimum), with spaces.
const OPERATOR_KEY = 'correct horse battery staple 2026 on call'

describe('console with an operator key that has spaces', () => {
  let stack: ConsoleStack
  let server: RunningServer
  let url: string
  let browser: Browser

  beforeAll(async () => {
    stack = await startConsoleStack('operator-key-stream', OPERATOR_KEY)
    ;({ server, url, browser } = stack)
  }, 120_000)

  afterAll(async () => {
    await stack?.close()
  })

  it('streams changes over a socket opened with a ticket, the key in no socket URL', async () => {
    const { page, errors } = await newPage()
    const sockets: string[] = []
    page.on('websocket', (socket) => sockets.push(socket.url()))
    await signIn(page, url, OPERATOR_KEY)
    await page.getByLabel('Environment').selectOption('production')
    await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor()

    // A flag created elsewhere appears without a reload: the socket carries the change.
    expect((await call(url, OPERATOR_KEY, 'POST', '/api/v1/flags', { key: 'streamed-flag' })).status).toBe(201)
    await page.locator('tr[data-flag="streamed-flag"]').waitFor()

    expect(sockets.length).toBeGreaterThan(0)
    for (const socketUrl of sockets) {
      expect(socketUrl).not.toMatch(/[?&]key=/)
      expect(decodeURIComponent(socketUrl)).not.toContain(OPERATOR_KEY)
    }
    expect(errors).toEqual([])
  })

  const newPage = () => stack.newPage({ width: 1280, height: 800 })
})
