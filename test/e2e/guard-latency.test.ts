import { afterEach, describe, it } from 'vitest'
import type { FlagClient } from '../../sdk/index.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { latencyTripCase } from './latency-trip-case.ts'

/** The latency rule end to end on the embedded default, SQLite (the case: latency-trip-case.ts). */

let server: TestServer
const clients: FlagClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await server.close()
})

describe('latency guard with real SDKs', () => {
  it('switches off a canary three times as slow as control, streamed to every SDK, audited with the latency figures', { timeout: 60_000 }, async () => {
    server = await startTestServer()
    await latencyTripCase(server, clients)
  })
})
