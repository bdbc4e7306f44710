import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../server/main.ts'
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.ts'

const ADMIN = 'compression-test-admin-key-01234'
let server: RunningServer | undefined
const sockets: RawSocket[] = []

afterEach(async () => {
  for (const c of sockets.splice(0)) c.socket.terminate()
  await server?.close()
})

async function serverWithFlags(streamCompression: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'cf-compression-'))
  server = await startServer(
    { port: 0, host: '127.0.0.1', databasePath: join(dir, 'db.sqlite'), adminKey: ADMIN, publicUrl: '', streamCompression },
    { log: () => {} },
  )
  const api = async (method: string, path: string, body: unknown) =>
    (await fetch(server!.url + path, { method, headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) })).json()
  // Enough flags for a snapshot well over the 16 KiB compression threshold.
  for (let i = 0; i < 150; i++) await api('POST', '/api/v1/flags', { key: `flag-${i}`, description: 'a flag with some words to it' })
  const { secret } = await api('POST', '/api/v1/keys', { name: 'svc', kind: 'server', environment: 'production' })
  return secret as string
}

async function snapshotOver(key: string) {
  const c = rawSocket(server!.url, key)
  sockets.push(c)
  await c.opened
  c.send({ type: 'hello', sdk: 'test/1' })
  const snapshot = await c.next((m) => m.type === 'snapshot')
  const wireBytes = (c.socket as any)._socket.bytesRead as number
  return { extensions: c.socket.extensions, snapshot, frameBytes: c.frames[0]!.length, wireBytes }
}

describe('stream compression (CANARY_STREAM_COMPRESSION)', () => {
  it('is off by default: frames travel as they are', async () => {
    const got = await snapshotOver(await serverWithFlags(false))
    expect(got.extensions).toBe('')
    expect(got.snapshot.flags).toHaveLength(150)
    expect(got.wireBytes).toBeGreaterThan(got.frameBytes)
  })

  it('when on, deflates a large snapshot for a peer that offers it, and the snapshot arrives whole', async () => {
    const got = await snapshotOver(await serverWithFlags(true))
    expect(got.extensions).toContain('permessage-deflate')
    expect(got.snapshot.flags).toHaveLength(150)
    expect(got.wireBytes).toBeLessThan(got.frameBytes / 3)
  })
})
