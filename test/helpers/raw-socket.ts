import { WebSocket } from 'ws'

/** Characters of one message shown in a failure, and how many of the last messages are shown. */
const SHOWN_CHARS = 300
const SHOWN_LAST = 5

/**
 * What a failed wait prints about the messages it saw: how many of each type, and the last few
 * cut to a few hundred characters each. A slow-consumer test receives hundreds of ~124 KB
 * frames; printing them all once made a 3.5 MB log line.
 *
 * @example
 * summarizeMessages([{ type: 'snapshot', version: 3, flags: [] }]) // '1 message (snapshot ×1); last: {"type":"snapshot",…}'
 */
export function summarizeMessages(messages: ReadonlyArray<{ type?: unknown }>): string {
  const types = new Map<string, number>()
  for (const m of messages) types.set(String(m?.type), (types.get(String(m?.type)) ?? 0) + 1)
  const counts = [...types].map(([type, n]) => `${type} ×${n}`).join(', ')
  const cut = (m: unknown) => {
    const text = JSON.stringify(m) ?? String(m)
    return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}… (${text.length} chars)` : text
  }
  const last = messages.slice(-SHOWN_LAST).map(cut).join('\n  ')
  const noun = messages.length === 1 ? 'message' : 'messages'
  return messages.length === 0 ? 'no messages' : `${messages.length} ${noun} (${counts}); last ${Math.min(SHOWN_LAST, messages.length)}:\n  ${last}`
}

/** A raw ws client that records every text frame, for checks on exactly what was sent. */
export function rawSocket(
  baseUrl: string,
  key: string,
  options: { autoPong?: boolean; query?: string; perMessageDeflate?: boolean } = {},
) {
  const socket = new WebSocket(baseUrl.replace('http', 'ws') + '/api/v1/stream' + (options.query ?? ''), 'canary-flags.v1', {
    headers: { authorization: `Bearer ${key}` },
    autoPong: options.autoPong ?? true,
    perMessageDeflate: options.perMessageDeflate ?? true,
  })
  const frames: string[] = []
  const messages: any[] = []
  const waiters: Array<() => void> = []
  socket.on('message', (data) => {
    frames.push(data.toString())
    messages.push(JSON.parse(data.toString()))
    waiters.splice(0).forEach((w) => w())
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  socket.on('error', () => {})
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  /**
   * Resolves with the first message (from `from` on) matching `pred`. The deadline is generous:
   * on a shared 2-core machine at load 10–20 a 2 MB frame, a commit and a fan-out took over 5 s
   * (a failure seen under load); a test that waits for a message that never comes still fails.
   */
  async function next(pred: (m: any) => boolean, from = 0, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = messages.slice(from).find(pred)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no matching message; got ${summarizeMessages(messages.slice(from))}`)
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }
  const send = (m: unknown) => socket.send(typeof m === 'string' ? m : JSON.stringify(m))
  return { socket, frames, messages, opened, closed, next, send }
}

export type RawSocket = ReturnType<typeof rawSocket>
