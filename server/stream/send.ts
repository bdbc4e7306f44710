import type { ServerMessage } from '../../sdk/core/protocol.ts'
import type { Connection } from './connection.ts'

/** Sends one message to one SDK; a socket whose unsent data exceeds `maxBufferedBytes` is cut off. */
export type Send = (conn: Connection, message: ServerMessage | string) => void

export function createSend(options: { maxBufferedBytes: number; log: (message: string, error?: unknown) => void }): Send {
  return (conn, message) => {
    const socket = conn.socket
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      // Closing politely would queue behind the backlog; cut it off so memory stays bounded.
      options.log(`dropping slow consumer ${conn.key.name} (${socket.bufferedAmount} bytes unsent)`)
      socket.terminate()
      return
    }
    socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }
}
