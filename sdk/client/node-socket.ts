import WebSocket from 'ws'
import { PROTOCOL } from '../core/protocol.ts'
import type { OpenSocket } from './transport.ts'

const ignore = () => {}

/**
 * Node sockets through `ws` (Node 20 has no global WebSocket). The key rides in the
 * Authorization header; an HTTP answer to the upgrade (401, 503, …) is reported with its status
 * so the connection can tell a bad key from a server that is down.
 *
 * @example
 * const socket = openNodeSocket('ws://localhost:4242/api/v1/stream', key, handlers)
 */
export const openNodeSocket: OpenSocket = (url, key, handlers) => {
  const ws = new WebSocket(url, [PROTOCOL], {
    headers: { authorization: `Bearer ${key}` },
    handshakeTimeout: 10_000,
  })
  // `ws` throws on an 'error' event without a listener; errors are always followed by 'close'.
  ws.on('error', ignore)
  ws.on('open', () => handlers.open())
  ws.on('message', (data, isBinary) => {
    if (!isBinary) handlers.message(data.toString())
  })
  ws.on('close', (code, reason) => handlers.close(code, reason.toString()))
  ws.on('unexpected-response', (_request, response) => {
    response.resume()
    detach()
    ws.terminate()
    handlers.refused(response.statusCode ?? 0)
  })

  const detach = () => {
    ws.removeAllListeners()
    ws.on('error', ignore)
  }
  return {
    send: (text) => ws.send(text),
    close() {
      detach()
      ws.close(1000, 'client closed')
    },
    terminate() {
      detach()
      ws.terminate()
    },
  }
}
