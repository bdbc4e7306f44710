/**
 * One raw WebSocket client speaking the protocol (sdk/core/protocol.ts): `hello` without a
 * version, then the `snapshot`. Times hello sent → whole snapshot received, and counts the
 * frame's bytes and the bytes on the wire (they differ when permessage-deflate is on, which the
 * upgrade's `sec-websocket-extensions` header tells). The `ws` client offers deflate, as the
 * Node SDK (also `ws`) does.
 */
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { PROTOCOL } from '../../sdk/core/protocol.ts'

export interface SnapshotFetch {
  ms: number
  frameBytes: number
  wireBytes: number
  /** The server's `sec-websocket-extensions` answer ('' when it did not compress). */
  extensions: string
  flags: number
}

export async function fetchSnapshot(url: string, key: string): Promise<SnapshotFetch> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`, [PROTOCOL], {
    headers: { authorization: `Bearer ${key}` },
  })
  let extensions = ''
  let socket: Socket | undefined
  ws.on('upgrade', (response) => {
    extensions = String(response.headers['sec-websocket-extensions'] ?? '')
    socket = response.socket as Socket
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const bytesBefore = socket!.bytesRead
  const received = new Promise<string>((resolve, reject) => ws.once('message', (data) => resolve(data.toString())).once('error', reject))
  const started = performance.now()
  ws.send(JSON.stringify({ type: 'hello', sdk: 'bench-scale-raw' }))
  const text = await received
  const ms = performance.now() - started
  const wireBytes = socket!.bytesRead - bytesBefore
  ws.terminate()
  const message = JSON.parse(text) as { type: string; flags?: unknown[] }
  if (message.type !== 'snapshot') throw new Error(`expected a snapshot after hello, got ${message.type}`)
  return { ms, frameBytes: Buffer.byteLength(text), wireBytes, extensions, flags: message.flags?.length ?? 0 }
}
