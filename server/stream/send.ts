import type { ServerMessage } from '../../sdk/core/protocol.ts'
import type { Connection } from './connection.ts'
import { DEFLATE_THRESHOLD_BYTES, Frame, sendDeflated } from './frame.ts'

/**
 * Sends one message to one SDK: an object, or a `Frame` encoded (and compressed) once for many
 * sockets. A socket whose unsent data exceeds `maxBufferedBytes` is cut off.
 */
export type Send = (conn: Connection, message: ServerMessage | Frame) => void

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
    if (conn.deflateWindow === undefined) {
      socket.send(message instanceof Frame ? message.text : JSON.stringify(message), { binary: false, compress: false })
      return
    }
    const frame = message instanceof Frame ? message : new Frame(message)
    if (frame.text.length >= DEFLATE_THRESHOLD_BYTES && sendDeflated(socket, frame.deflatedFor(conn.deflateWindow))) return
    // `ws` never compresses itself (compress: false): the shared payloads above are the only
    // compressed frames, and its sender never holds a queue they could overtake.
    socket.send(frame.text, { binary: false, compress: false })
  }
}
