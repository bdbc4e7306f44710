// Contract: sdk/SPEC.md §6 (close 1012) and §7.2 (restart schedule). Where this test and the spec disagree, one of them is a bug.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createBackoff } from '../../../sdk/core/backoff.ts'
import { createFlagClient } from '../../../sdk/client/client.ts'
import { createConnection } from '../../../sdk/client/connection.ts'
import { openNodeSocket } from '../../../sdk/client/node-socket.ts'
import { createRulesMode } from '../../../sdk/client/rules-mode.ts'
import type { OpenSocket } from '../../../sdk/client/transport.ts'
import type { FlagClient } from '../../../sdk/index.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/**
 * A graceful restart (close code 1012) over real sockets: the SDK keeps trying once per restart
 * spread while the server is down and is back as soon as the successor answers. Its ordinary
 * backoff here is ten minutes per attempt, so an SDK that fell back on it (as it did before the
 * restart schedule: one prompt attempt, then the exponential ladder) never comes back within
 * the deadlines below. Only observable events are awaited; no duration is asserted.
 */
const TEN_MINUTES = 600_000
const waitFor = <T>(what: string, check: () => T, timeout = 15_000) =>
  vi.waitFor(() => {
    const value = check()
    if (!value) throw new Error(`still waiting for ${what}`)
    return value
  }, { timeout, interval: 20 })

let server: TestServer
let client: FlagClient | undefined
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await client?.close()
  await server.close()
})

describe('SDK reconnection after a graceful restart', () => {
  it('tries again once per spread while the server is down and is in sync with the successor without the full backoff', async () => {
    const key = await server.createKey('server')
    expect((await server.api('POST', '/api/v1/flags', { key: 'restart-prompt' })).status).toBe(201)
    const on = { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] }
    expect((await server.api('PATCH', '/api/v1/environments/development/flags/restart-prompt', on)).status).toBe(200)

    let attempts = 0
    const counted: OpenSocket = (url, secret, handlers) => {
      attempts++
      return openNodeSocket(url, secret, handlers)
    }
    let disconnected = 0
    client = createFlagClient({
      mode: createRulesMode(),
      sdkName: 'restart-test',
      logger: {},
      connect: (handlers) =>
        createConnection({
          url: `${server.url.replace(/^http/, 'ws')}/api/v1/stream`,
          key,
          openSocket: counted,
          // Ordinary failures wait ten minutes (random = 1: always the ceiling); restarts 200 ms.
          backoff: createBackoff({ baseMs: TEN_MINUTES, capMs: TEN_MINUTES, restartSpreadMs: 200, random: () => 1 }),
          now: Date.now,
          handlers,
        }),
    })
    client.on('disconnected', () => disconnected++)
    await client.ready({ timeoutMs: 10_000 })
    expect(client.isEnabled('restart-prompt', { userId: 'u1' })).toBe(true)

    await server.stop()
    await waitFor('the SDK to see the restart close', () => disconnected === 1)
    // Two attempts refused while nothing listens: the schedule did not climb to ten minutes.
    const before = attempts
    await waitFor('two refused attempts while the server is down', () => attempts >= before + 2)
    expect(client.status).toBe('stale')

    await server.restart()
    expect((await server.api('PATCH', '/api/v1/environments/development/flags/restart-prompt', { enabled: false })).status).toBe(200)
    await waitFor('the change made on the successor', () => !client!.isEnabled('restart-prompt', { userId: 'u1' }))
    expect(client.status).toBe('ready')
  }, 60_000)
})
