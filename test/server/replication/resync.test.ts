import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrap } from '../../../server/bootstrap.ts'
import { composeServices, type Services } from '../../../server/compose.ts'
import { createSqliteStore } from '../../../server/store/sqlite-store.ts'
import { attachStream, type StreamServer } from '../../../server/stream/stream-server.ts'
import { rawSocket } from '../../helpers/raw-socket.ts'

/**
 * A replica whose change log no longer holds what it missed resyncs (hub `resync`): the rules
 * are read again from a snapshot and every server-key SDK is sent that snapshot, then changes
 * continue from it — never a silent gap.
 */

let services: Services
let server: Server
let stream: StreamServer
let url: string
let key: string

beforeAll(async () => {
  const store = createSqliteStore(':memory:')
  services = composeServices(store, { log: () => {} })
  await bootstrap({ store, service: services.service }, { adminKey: 'resync-admin-key-0123456789abcdef' })
  key = (await store.keys.create({ name: 'sdk', kind: 'server', environment: 'production' }, 'test')).secret
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stream = attachStream(server, { store, keys: services.keys, tickets: services.tickets, rules: services.rules, log: () => {} })
})
afterAll(async () => {
  stream.close()
  await new Promise((resolve) => server.close(resolve))
  await services.store.close()
})

describe('resync after changes the change log no longer holds', () => {
  it('sends server-key SDKs a snapshot of the current rules, then the changes after it', async () => {
    const socket = rawSocket(url, key)
    await socket.opened
    socket.send({ type: 'hello', sdk: 'raw' })
    const first = await socket.next((m) => m.type === 'snapshot')
    // Committed without reaching this hub (as if announced to a replica that could not read them).
    const missed = await services.store.flags.createFlag({ key: 'missed', description: '', tags: [], clientSide: false }, 'test')
    const version = missed.find((c) => c.environment === 'production')!.change.version
    expect(version).toBeGreaterThan(first.version)
    services.hub.resync('production', version)
    const second = await socket.next((m) => m.type === 'snapshot' && m.version === version, 1)
    expect(second.flags.map((f: { key: string }) => f.key)).toContain('missed')
    expect(services.rules.get('production').version).toBe(version)
    // Later changes continue from the snapshot, in order.
    await services.service.updateState('production', 'missed', { enabled: true }, { actor: 'test' })
    const next = await socket.next((m) => m.type === 'changes')
    expect(next.changes.map((c: { version: number }) => c.version)).toEqual([version + 1])
    expect(socket.messages.filter((m) => m.type === 'changes')).toHaveLength(1)
    socket.socket.close()
  })
})
