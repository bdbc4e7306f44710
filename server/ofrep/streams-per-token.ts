import { TooManyRequestsError } from '../errors.ts'

/**
 * Open event streams by default per token (`CANARY_OFREP_STREAMS_PER_TOKEN`). A provider opens
 * one; the second covers an `EventSource` reconnecting before the server noticed the old
 * connection gone. A leaked URL cannot open hundreds.
 */
export const DEFAULT_STREAMS_PER_TOKEN = 2

/**
 * Counts open event streams per token id, so one URL opens at most `limit` at a time.
 *
 * @example
 * const slots = createStreamsPerToken(2)
 * const release = slots.admit(grant.id) // throws TooManyRequestsError past the limit
 * release() // when the stream ends
 */
export function createStreamsPerToken(limit: number = DEFAULT_STREAMS_PER_TOKEN) {
  const open = new Map<string, number>()
  return {
    /** Takes one of the token's slots (429 when none is left); returns its release (idempotent). */
    admit(tokenId: string): () => void {
      const count = open.get(tokenId) ?? 0
      if (count >= limit)
        throw new TooManyRequestsError(`this event-stream token already has ${limit} open streams: close one, or fetch the bulk evaluation again for a new URL`, 5)
      open.set(tokenId, count + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = (open.get(tokenId) ?? 1) - 1
        if (left > 0) open.set(tokenId, left)
        else open.delete(tokenId)
      }
    },
  }
}

export type StreamsPerToken = ReturnType<typeof createStreamsPerToken>
