import { PROTOCOL } from '../core/protocol.ts'
import type { OpenSocket } from './transport.ts'

/**
 * Browser sockets through the platform WebSocket. Browsers cannot set headers on a WebSocket, so
 * the key rides as a second sub-protocol (`key.<secret>`); the server selects `canary-flags.v1`.
 *
 * A browser hides the HTTP status of a refused upgrade (it only reports close code 1006), so
 * when a socket closes before it ever opened, one plain HTTP request to the same endpoint asks
 * whether the key is the problem: 401/403 there means stop, anything else means retry.
 *
 * @example
 * const socket = openBrowserSocket('wss://flags.example.com/api/v1/stream', key, handlers)
 */
export const openBrowserSocket: OpenSocket = (url, key, handlers) => {
  const ws = new WebSocket(url, [PROTOCOL, `key.${key}`])
  let opened = false
  ws.onopen = () => {
    opened = true
    handlers.open()
  }
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') handlers.message(event.data)
  }
  ws.onclose = (event) => {
    if (opened) return handlers.close(event.code, event.reason)
    fetch(url.replace(/^ws/, 'http'), { headers: { authorization: `Bearer ${key}` } }).then(
      (response) => handlers.refused(response.status),
      // Unreachable, or blocked by CORS: nothing says the key is wrong, so keep retrying.
      () => handlers.close(event.code, event.reason),
    )
  }
  const detach = () => {
    ws.onopen = ws.onmessage = ws.onclose = null
  }
  return {
    send: (text) => ws.send(text),
    close() {
      detach()
      ws.close(1000, 'client closed')
    },
    terminate() {
      detach()
      ws.close()
    },
  }
}
