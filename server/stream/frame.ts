import { constants, deflateRawSync } from 'node:zlib'
import type { WebSocket } from 'ws'
import type { ServerMessage } from '../../sdk/core/protocol.ts'

/**
 * Smaller frames go out as they are: a single change (a few hundred bytes) would gain a few
 * bytes and cost every SDK an inflate on the path that propagation latency is measured on.
 */
export const DEFLATE_THRESHOLD_BYTES = 1024

/**
 * One server message encoded once for every socket it goes to: its JSON text, and — made on
 * first use, then shared — its permessage-deflate payload.
 *
 * Why compress here and not in `ws`: `ws` deflates each socket's copy on its own, so a frame for
 * 5,000 SDKs costs 5,000 compressions. With `server_no_context_takeover` (always negotiated
 * here) every message is compressed on its own, so the compressed bytes are the same for every
 * socket that agreed the same window: one compression per frame, then each socket's send is a
 * header and a shared buffer, and the kernel copies a fraction of the bytes.
 */
export class Frame {
  readonly text: Buffer
  private readonly deflated = new Map<number, Buffer>()

  constructor(message: ServerMessage) {
    this.text = Buffer.from(JSON.stringify(message))
  }

  /** The RFC 7692 payload for a peer that accepts a window of 2^`windowBits` bytes. */
  deflatedFor(windowBits: number): Buffer {
    let payload = this.deflated.get(windowBits)
    if (payload === undefined) {
      // Level 1: on JSON of flag states it gets most of level 6's ratio at a fraction of the cost.
      const flushed = deflateRawSync(this.text, { level: 1, windowBits, finishFlush: constants.Z_SYNC_FLUSH })
      // A sync flush ends with 00 00 ff ff; the receiver appends it back (RFC 7692 7.2.1).
      payload = flushed.subarray(0, flushed.length - 4)
      this.deflated.set(windowBits, payload)
    }
    return payload
  }
}

export const encodeFrame = (message: ServerMessage): Frame => new Frame(message)

/**
 * The window this peer accepts for our compressed messages, or undefined when frames must go to
 * it uncompressed (it did not negotiate permessage-deflate, or asked for a window zlib's raw
 * deflate cannot honour). Read from the `Sec-WebSocket-Extensions` header the server answered
 * the upgrade with (`ws` names the extensions, not their parameters).
 */
export function deflateWindowOf(upgradeResponse: readonly string[]): number | undefined {
  const negotiated = upgradeResponse.find((header) => /^sec-websocket-extensions:/i.test(header)) ?? ''
  if (!/\bpermessage-deflate\b/.test(negotiated)) return undefined
  // Without it each message would depend on the ones before: shared payloads would be wrong.
  if (!/\bserver_no_context_takeover\b/.test(negotiated)) return undefined
  const bits = /\bserver_max_window_bits=(\d+)/.exec(negotiated)
  const windowBits = bits ? Number(bits[1]) : 15
  return windowBits >= 9 && windowBits <= 15 ? windowBits : undefined
}

/** What of `ws` a pre-compressed frame needs: its sender's frame writer (not public API). */
interface FrameWriter {
  _sender?: { sendFrame?: (list: Buffer[], cb?: (error?: Error) => void) => void }
}

/**
 * Writes one text message whose payload is already deflated: FIN, RSV1 (compressed), opcode 1,
 * unmasked (server to client). Goes through `ws`'s own frame writer, so it stays in order with
 * the socket's other frames: `ws` itself never compresses here (`send` passes compress: false),
 * so its sender has no queue to jump. False when that writer is not there (another `ws`
 * version): the caller then sends the text.
 */
export function sendDeflated(socket: WebSocket, payload: Buffer): boolean {
  const sender = (socket as unknown as FrameWriter)._sender
  if (typeof sender?.sendFrame !== 'function') return false
  sender.sendFrame([frameHeader(payload.length), payload])
  return true
}

function frameHeader(length: number): Buffer {
  const FIN_RSV1_TEXT = 0xc1
  if (length < 126) return Buffer.from([FIN_RSV1_TEXT, length])
  if (length < 65536) {
    const header = Buffer.allocUnsafe(4)
    header[0] = FIN_RSV1_TEXT
    header[1] = 126
    header.writeUInt16BE(length, 2)
    return header
  }
  const header = Buffer.allocUnsafe(10)
  header[0] = FIN_RSV1_TEXT
  header[1] = 127
  header.writeBigUInt64BE(BigInt(length), 2)
  return header
}
