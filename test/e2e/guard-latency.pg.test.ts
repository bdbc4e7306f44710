import { afterAll, afterEach, beforeAll, describe, inject, it } from 'vitest'
import type { FlagClient } from '../../sdk/index.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { latencyTripCase } from './latency-trip-case.ts'

/**
 * The latency rule end to end on PostgreSQL (`DATABASE_URL`): the guard's evidence, the trip and
 * its audit entry go through the PostgreSQL store (the case: latency-trip-case.ts).
 */

let database: TestDatabase
let server: TestServer | undefined
const clients: FlagClient[] = []
beforeAll(async () => {
  database = await createTestDatabase(inject('postgresUrl'))
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await server?.close()
})
afterAll(() => database?.drop())

describe('latency guard with real SDKs, on PostgreSQL', () => {
  it('switches off a canary three times as slow as control, streamed to every SDK, audited with the latency figures', { timeout: 90_000 }, async () => {
    server = await startTestServer({}, { databaseUrl: database.url })
    await latencyTripCase(server, clients)
  })
})
