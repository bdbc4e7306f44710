/**
 * Raw protocol clients (a child process): on `go`, `count` WebSocket clients connect at once,
 * each sends `hello` and waits for the whole snapshot frame, which it does not parse. They read
 * as fast as the loopback allows, so the server's work for a connect storm is packed into as
 * short a time as it can be: the hardest case for its other sockets and requests. (Real SDKs in
 * one process parse and compile one snapshot after another and so read slowly.) The `ws` client
 * offers permessage-deflate, as the Node SDK does.
 *
 * Args: <server url> <server key> <count>
 */
import { WebSocket } from 'ws'
import { PROTOCOL } from '../../sdk/core/protocol.ts'
import { loadedThenWait } from './ipc.ts'

const [url, key, countArg] = process.argv.slice(2) as [string, string, string]
const count = Number(countArg)

function snapshotOnce(started: number): Promise<{ ms: number; socket: WebSocket }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`, [PROTOCOL], { headers: { authorization: `Bearer ${key}` } })
  return new Promise((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'hello', sdk: 'bench-scale-raw' })))
    socket.once('message', (data) => {
      if (!data.toString('utf8', 0, 20).startsWith('{"type":"snapshot"')) reject(new Error('the first frame was not a snapshot'))
      resolve({ ms: performance.now() - started, socket })
    })
    socket.once('error', reject)
  })
}

await loadedThenWait('go')
const started = performance.now()
const got = await Promise.all(Array.from({ length: count }, () => snapshotOnce(started)))
// Reported before closing, so the parent's readings (server CPU, /health) end at the last frame.
process.send!({ type: 'result', readyMs: got.map((g) => g.ms), heapBytes: 0 })
for (const { socket } of got) socket.terminate()
process.disconnect()
