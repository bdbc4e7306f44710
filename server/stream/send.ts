import type { ServerMessage } from '../../sdk/core/protocol.ts'
import type { Connection } from './connection.ts'

/**
 * Sends one message to one SDK: an object, or a frame encoded once for many sockets
 * (`encodeFrame`). A socket whose unsent data exceeds `maxBufferedBytes` is cut off.
 */
export type Send = (conn: Connection, message: ServerMessage | Buffer) => void

/** A message as the bytes of one text frame: ws sends a Buffer without copying or re-encoding it. */
export const encodeFrame = (message: ServerMessage): Buffer => Buffer.from(JSON.stringify(message))

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
    if (Buffer.isBuffer(message)) socket.send(message, { binary: false })
    else socket.send(JSON.stringify(message))
  }
}
