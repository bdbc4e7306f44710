import { WebSocket } from 'ws'
import { CSRF_HEADER, SESSION_COOKIE } from '../../server/auth/access.ts'

/** What every cookie-authenticated write carries (the server's CSRF defence), as the console sends it. */
const CSRF = { [CSRF_HEADER]: '1' }

/** A person signed in on one replica, as the console holds it: a session cookie and a live stream. */
export interface SignedIn {
  /** `canary_session=<secret>`, ready for a `cookie` header. */
  cookie: string
  /** The console's stream on that replica, open. */
  socket: WebSocket
  /** Resolves when the stream closes: the close code and `performance.now()` at the close event. */
  closed: Promise<{ code: number; at: number }>
}

/** Signs in with a password on `url` and answers the session cookie; throws on anything but 201. */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  if (res.status !== 201) throw new Error(`sign-in of ${email} on ${url}: ${res.status} ${await res.text()}`)
  const pair = res.headers.getSetCookie().map((set) => set.split(';')[0]!).find((p) => p.startsWith(`${SESSION_COOKIE}=`))
  if (pair === undefined) throw new Error(`sign-in of ${email} on ${url}: no ${SESSION_COOKIE} cookie`)
  return pair
}

/**
 * Opens the console's stream of `environment` on `url` for a session, the console's way: a
 * single-use ticket asked for with the cookie (tickets live in the replica that issued them), then
 * the WebSocket with the ticket in a sub-protocol entry. Resolves once the socket is open.
 */
export async function openConsoleStream(url: string, cookie: string, environment: string): Promise<SignedIn> {
  const res = await fetch(`${url}/api/v1/stream-tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...CSRF },
    body: JSON.stringify({ environment }),
  })
  if (res.status !== 201) throw new Error(`stream ticket on ${url}: ${res.status} ${await res.text()}`)
  const { ticket } = (await res.json()) as { ticket: string }
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream?env=${environment}`, ['canary-flags.v1', `ticket.${ticket}`])
  // Stamped in the close handler itself, so the figure is when this process saw the close.
  const closed = new Promise<{ code: number; at: number }>((resolve) => socket.once('close', (code) => resolve({ code, at: performance.now() })))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  return { cookie, socket, closed }
}

/** GET /api/v1/session with the cookie on `url`: the status (200 while the session lives, 401 after). */
export async function sessionStatus(url: string, cookie: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/session`, { headers: { cookie } })
  await res.arrayBuffer()
  return res.status
}

/**
 * When `url` first answers 401 to the cookie (`performance.now()`) and how many requests that
 * took, asking again as soon as each answer arrives; throws on any other refusal (a 429 would be
 * the bench's own rate limit, not the session's end) or past `deadlineMs`.
 */
export async function refusal(url: string, cookie: string, deadlineMs: number): Promise<{ at: number; requests: number }> {
  const deadline = performance.now() + deadlineMs
  for (let requests = 1; ; requests++) {
    const status = await sessionStatus(url, cookie)
    if (status === 401) return { at: performance.now(), requests }
    if (status !== 200) throw new Error(`GET /api/v1/session on ${url}: ${status}, expected 200 or 401`)
    if (performance.now() > deadline) throw new Error(`${url} still accepted the session ${deadlineMs} ms after it ended`)
  }
}

/** Sign-out with the cookie on `url` (any replica: sessions live in the shared database). */
export async function signOut(url: string, cookie: string): Promise<Response> {
  return fetch(`${url}/api/v1/session`, { method: 'DELETE', headers: { cookie, ...CSRF } })
}
