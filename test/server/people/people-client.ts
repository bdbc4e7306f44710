import { WebSocket } from 'ws'
import type { TestServer } from '../../helpers/server.ts'

/** A cheap scrypt cost for tests (the default costs about a second on a busy 2-core machine). */
export const TEST_PASSWORD_COST = { N: 2 ** 12, r: 8, p: 1 }

export interface Answer {
  status: number
  headers: Headers
  // Test code inspects arbitrary response shapes; the routes' own shapes are pinned elsewhere.
  json: any
}

/**
 * A browser-like client of a real server on loopback: keeps the session cookie it is given and
 * sends it back, with the CSRF header on writes unless told not to.
 */
export function personClient(server: Pick<TestServer, 'url'>) {
  let cookie: string | undefined
  async function call(method: string, path: string, body?: unknown, options: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
    if (cookie) headers.cookie = cookie
    if (method !== 'GET' && options.csrf !== false) headers['x-canary-csrf'] = '1'
    const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    for (const set of res.headers.getSetCookie()) {
      const [pair] = set.split(';')
      const [name, value] = pair!.split('=')
      if (name === 'canary_session') cookie = value ? `canary_session=${value}` : undefined
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(set)) cookie = undefined
    }
    const text = await res.text()
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null }
  }
  return {
    call,
    signIn: (email: string, password: string) => call('POST', '/api/v1/session', { email, password }),
    get cookie() {
      return cookie
    },
    set cookie(value: string | undefined) {
      cookie = value
    },
  }
}

/**
 * Opens the console's live stream as the person of `client` (a ticket, then the upgrade), and
 * answers the open socket and a promise of its close code, for tests that wait for a credential's
 * end to reach the stream.
 */
export async function openConsoleStream(server: Pick<TestServer, 'url'>, client: ReturnType<typeof personClient>, environment: string) {
  const ticket = await client.call('POST', '/api/v1/stream-tickets', { environment })
  if (ticket.status !== 201) throw new Error(`no stream ticket: ${ticket.status} ${JSON.stringify(ticket.json)}`)
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/stream?env=${environment}`, ['canary-flags.v1', `ticket.${ticket.json.ticket}`])
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  return { socket, closed }
}
