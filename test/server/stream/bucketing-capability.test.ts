// Contract: sdk/SPEC.md §3 ("Bucketing capability") and §5.1 (hello.bucketing).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WebSocket } from 'ws'
import { createClient, type FlagClient } from '../../../sdk/index.ts'
import { rawSocket } from '../../helpers/raw-socket.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'

/**
 * A flag whose cohort buckets as Unleash does must never reach an SDK that did not announce that
 * mode as rules it would evaluate with the project's own hash: it gets the flag unavailable (off,
 * no cohorts), and the connections list counts it. Real server, real WebSockets, real Node SDK.
 */

const FLAG = '/api/v1/environments/production/flags'
const unleash = { mode: 'unleash', groupId: 'Feature.A', stickiness: 'userId' }
const imported = { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100, bucketing: unleash }] }
const own = { enabled: true, cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }] }

let server: TestServer
let key: string
const sockets: WebSocket[] = []
const clients: FlagClient[] = []

beforeEach(async () => {
  server = await startTestServer()
  key = await server.createKey('server', 'production')
  for (const flag of ['imported', 'plain']) await server.api('POST', '/api/v1/flags', { key: flag })
  expect((await server.api('PATCH', `${FLAG}/imported`, imported)).status).toBe(200)
  expect((await server.api('PATCH', `${FLAG}/plain`, own)).status).toBe(200)
})
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate()
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 200 })))
  await server.close()
})

function connect() {
  const c = rawSocket(server.url, key)
  sockets.push(c.socket)
  return c
}

const connectionOf = async (sdk: string) =>
  (await server.api('GET', '/api/v1/connections')).json.items.find((item: { sdk: string }) => item.sdk === sdk)

describe('bucketing capability on the stream', () => {
  it('sends a flag in an unannounced mode as unavailable (off, no cohorts) and counts it per connection', async () => {
    const old = connect()
    await old.opened
    old.send({ type: 'hello', sdk: 'old-sdk/1' })
    const snapshot = await old.next((m) => m.type === 'snapshot')
    const byKey = new Map(snapshot.flags.map((f: { key: string }) => [f.key, f]))
    expect(byKey.get('imported')).toMatchObject({ key: 'imported', enabled: false, cohorts: [] })
    expect(byKey.get('plain')).toMatchObject({ enabled: true, cohorts: own.cohorts })
    expect(await connectionOf('old-sdk/1')).toMatchObject({ bucketing: [], unavailableFlags: 1 })

    const modern = connect()
    await modern.opened
    modern.send({ type: 'hello', sdk: 'modern-sdk/1', bucketing: ['unleash', 'launchdarkly', 'some-future-mode'] })
    const full = await modern.next((m) => m.type === 'snapshot')
    expect(full.flags.find((f: { key: string }) => f.key === 'imported')).toMatchObject({ enabled: true, cohorts: imported.cohorts })
    expect(await connectionOf('modern-sdk/1')).toMatchObject({ bucketing: ['unleash', 'launchdarkly'], unavailableFlags: 0 })
  })

  it('keeps changes unavailable for it, and the count follows the flags into and out of the mode', async () => {
    const old = connect()
    await old.opened
    old.send({ type: 'hello', sdk: 'old-sdk/2' })
    await old.next((m) => m.type === 'snapshot')
    // `plain` moves to Unleash's bucketing: an explicit change that reshuffles.
    await server.api('PATCH', `${FLAG}/plain`, { ...imported, reshuffle: true })
    const moved = await old.next((m) => m.type === 'changes' && m.changes.some((c: any) => c.flag?.key === 'plain'))
    expect(moved.changes.find((c: any) => c.flag?.key === 'plain').flag).toMatchObject({ enabled: false, cohorts: [] })
    await vi.waitFor(async () => expect(await connectionOf('old-sdk/2')).toMatchObject({ unavailableFlags: 2 }), { timeout: 10_000 })
    // Back to the project's own bucketing: it is sent as it is, and no longer counted.
    const from = old.messages.length
    await server.api('PATCH', `${FLAG}/imported`, { ...own, reshuffle: true })
    const back = await old.next((m) => m.type === 'changes' && m.changes.some((c: any) => c.flag?.key === 'imported'), from)
    expect(back.changes.find((c: any) => c.flag?.key === 'imported').flag).toMatchObject({ enabled: true, cohorts: own.cohorts })
    await vi.waitFor(async () => expect(await connectionOf('old-sdk/2')).toMatchObject({ unavailableFlags: 1 }), { timeout: 10_000 })
  })

  it('maps the changes of a catch-up (hello with a version) the same way', async () => {
    const first = connect()
    await first.opened
    first.send({ type: 'hello', sdk: 'old-sdk/3' })
    const { version } = await first.next((m) => m.type === 'snapshot')
    first.socket.terminate()
    await server.api('PATCH', `${FLAG}/plain`, { ...imported, reshuffle: true })
    const again = connect()
    await again.opened
    again.send({ type: 'hello', sdk: 'old-sdk/3', version })
    const caughtUp = await again.next((m) => m.type === 'changes')
    expect(caughtUp.changes.map((c: any) => c.flag)).toEqual([expect.objectContaining({ key: 'plain', enabled: false, cohorts: [] })])
    expect(await connectionOf('old-sdk/3')).toMatchObject({ unavailableFlags: 1 })
  })

  it('the Node SDK announces every mode and evaluates the Unleash cohort itself', async () => {
    const client = createClient({ url: server.url, key, logger: {}, sdkName: 'node-under-test' })
    clients.push(client)
    await client.ready({ timeoutMs: 10_000 })
    expect(client.isEnabled('imported', { userId: 'u1' })).toBe(true)
    // Unleash leaves a user without a stickiness value out, even at 100%.
    expect(client.isEnabled('imported', { region: 'eu' })).toBe(false)
    expect(await connectionOf('node-under-test')).toMatchObject({ bucketing: ['unleash', 'launchdarkly'], unavailableFlags: 0 })
  })

  it('refuses a malformed hello.bucketing with the field named', async () => {
    const bad = connect()
    await bad.opened
    bad.send({ type: 'hello', sdk: 'x', bucketing: 'unleash' })
    expect(await bad.closed).toEqual({ code: 1008, reason: 'hello.bucketing must be an array of at most 16 mode names' })
  })
})

describe('bucketing capability on the HTTP snapshot', () => {
  it('takes ?bucketing= like the hello: absent = none', async () => {
    const get = async (query: string) => (await server.api('GET', `/api/v1/environments/production/snapshot${query}`, undefined, key)).json
    const flagIn = (snapshot: any) => snapshot.flags.find((f: { key: string }) => f.key === 'imported')
    expect(flagIn(await get(''))).toMatchObject({ enabled: false, cohorts: [] })
    expect(flagIn(await get('?bucketing=launchdarkly'))).toMatchObject({ enabled: false, cohorts: [] })
    expect(flagIn(await get('?bucketing=unleash,launchdarkly'))).toMatchObject({ enabled: true, cohorts: imported.cohorts })
  })
})
