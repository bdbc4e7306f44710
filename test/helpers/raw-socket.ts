import { WebSocket } from 'ws'

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
  /** Resolves with the first message (from `from` on) matching `pred`. */
  async function next(pred: (m: any) => boolean, from = 0, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = messages.slice(from).find(pred)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages)}`)
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
