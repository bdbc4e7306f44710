import type { IncomingMessage, ServerResponse } from 'node:http'
import { actorOf } from '../auth/api-key.ts'
import type { AuthFailureGate } from '../auth/failure-throttle.ts'
import { answerOf, type HotAnswer, type HotCall, type HotRequest, type HotRoute } from '../exchange/hot-route.ts'
import type { AnsweredRequest } from '../observability/http-observer.ts'

/**
 * The same checks the Node adapter makes before it builds a request URL: a plain lower-case host
 * (with a port) and a path of URL-safe characters without `%` or dot segments. Anything else is
 * left to hono, which refuses or normalizes it its own way; the lane never answers differently.
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/

/** A request body read as it streams in, or `undefined` once it grew past `maxBytes` (the rest is dropped). */
function streamedBody(incoming: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) chunks.push(chunk)
      else if (!settled) {
        settled = true
        incoming.resume()
        resolve(undefined)
      }
    })
    incoming.once('end', () => {
      if (settled) return
      settled = true
      resolve(asText(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    })
    // A peer gone mid-body: `end` never comes. (`close` follows every request; only then is it news.)
    const broken = (error?: Error) => {
      if (settled) return
      settled = true
      reject(error ?? new Error('the request closed before its body ended'))
    }
    incoming.once('error', broken)
    incoming.once('close', broken)
  })
}

/** Bytes as text, as fetch's `text()` reads them: a byte-order mark is not part of the text. */
const asText = (bytes: Buffer) => {
  const text = bytes.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/**
 * A request body, or `undefined` when it is larger than `maxBytes`. An SDK's body is small and
 * comes in the packet its headers came in: the parser has buffered all of it by the time a
 * microtask runs, and it is read at once (`complete`), without the stream's events — reading
 * them was as much as the rest of a bare POST's answer. Anything else streams in.
 */
async function readBody(incoming: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  await undefined
  if (!incoming.complete) return streamedBody(incoming, maxBytes)
  if (incoming.readableLength > maxBytes) return undefined
  const bytes = incoming.read() as Buffer | null
  return bytes === null ? '' : asText(bytes)
}

/**
 * Writes an answer as the Node adapter writes hono's: the group's headers, the answer's, and its
 * length, as one flat list (`writeHead` takes one; no merged object per answer).
 */
function write(res: ServerResponse, route: HotRoute, answer: HotAnswer): void {
  const headers: Array<string | number> = []
  for (const name in route.headers) if (!(name in answer.headers)) headers.push(name, route.headers[name]!)
  for (const name in answer.headers) headers.push(name, answer.headers[name]!)
  const body = answer.body
  if (body === null) {
    res.writeHead(answer.status, headers as unknown as string[])
    res.end()
    return
  }
  let length = 0
  if (typeof body === 'string') length = Buffer.byteLength(body)
  else for (const part of body) length += typeof part === 'string' ? Buffer.byteLength(part) : part.byteLength
  headers.push('Content-Length', length)
  res.writeHead(answer.status, headers as unknown as string[])
  if (typeof body === 'string') {
    res.end(body)
    return
  }
  // Corked, the head and every part leave in one `writev` (`end` uncorks).
  res.cork()
  for (let i = 0; i < body.length - 1; i++) res.write(body[i]!)
  res.end(body[body.length - 1])
}

/**
 * Answers written together, once per event-loop turn, after every request that arrived in that
 * turn has been handled (`setImmediate` runs after the loop's poll phase). Each answer is one
 * `writev`; what made it cost a third of the server's CPU per answer under load was the kernel
 * waking the reader (a client, or the reverse proxy on the same host) for each one, between the
 * handling of the next requests. Written back to back, a batch finds the reader awake after the
 * first. An answer waits at most for the rest of its turn's requests; alone in its turn, it is
 * written at once.
 */
function turnWriter(log: (message: string, error?: unknown) => void): (res: ServerResponse, writeOne: () => void) => void {
  let due: Array<[ServerResponse, () => void]> = []
  const flush = () => {
    const batch = due
    due = []
    for (const [res, writeOne] of batch) {
      try {
        writeOne()
      } catch (error) {
        // As when an answer failed before the writer: logged, and the client not left waiting.
        log('an answer could not be written', error)
        res.destroy()
      }
    }
  }
  return (res, writeOne) => {
    if (due.push([res, writeOne]) === 1) setImmediate(flush)
  }
}

/**
 * The hot lane: the routes called many times a second (OFREP evaluations, `POST …/evaluate`,
 * `POST /api/v1/metrics`, the admin read of one flag state), answered straight from
 * `node:http` in front of hono. For these routes hono's request and response objects, and its
 * middleware chain, were most of each request's cost (README "Performance"). The lane runs the very handlers the app mounts
 * (hot-routes.ts) and the same protections, in the app's order: the failed-authentication gate
 * (the untrusted-proxy warning, a 429 for an address past its failures), the body limit before
 * anything else, the group's headers (CORS, `nosniff`, `no-store`) on every answer, the route's
 * error shape, and one request-log line and metrics observation (`observe`) when the answer is
 * written; answers are written once per event-loop turn (`turnWriter`). What the lane does
 * not take — other methods (CORS preflights, HEAD), a GET with a body, other paths, an unusual
 * Host or path — goes to
 * hono: `take` answers false. test/server/routes/hot-lane.test.ts checks that both doors give the
 * same answers.
 *
 * @example
 * const take = hotLane({ routes, authFailures, observe: observer.record, log })
 * createServer((req, res) => take(req, res) || honoListener(req, res))
 */
export function hotLane(deps: {
  routes: readonly HotRoute[]
  authFailures: AuthFailureGate
  observe: (answered: AnsweredRequest) => void
  log: (message: string, error?: unknown) => void
}): (incoming: IncomingMessage, res: ServerResponse) => boolean {
  const { routes, authFailures, observe, log } = deps
  const inTurn = turnWriter(log)

  async function serve(route: HotRoute, params: string[], path: string, incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const peer = incoming.socket.remoteAddress
    const forwardedFor = incoming.headers['x-forwarded-for'] as string | undefined
    authFailures.seen(peer, forwardedFor)
    const declared = incoming.headers['content-length']
    let answer: HotAnswer
    let call: HotCall | undefined
    // A declared size over the limit is refused unread, as the app's body limit does (a GET the
    // lane took has none).
    const body =
      route.method === 'GET' ? ''
      : declared !== undefined && incoming.headers['transfer-encoding'] === undefined && Number.parseInt(declared, 10) > route.maxBodyBytes ? undefined
      : await readBody(incoming, route.maxBodyBytes)
    if (body === undefined) answer = route.tooLarge()
    else {
      const request: HotRequest = {
        method: route.method,
        path,
        header: (name) => {
          const value = incoming.headers[name]
          return Array.isArray(value) ? value.join(', ') : value
        },
        peer,
        origin: `http://${incoming.headers.host}`,
        text: () => Promise.resolve(body),
      }
      call = { request, params }
      answer = await answerOf(route, call)
    }
    if (answer.status === 401) {
      const refusal = authFailures.failed(peer, forwardedFor)
      if (refusal !== undefined && call !== undefined) answer = route.onError(refusal, call)
    }
    const key = call?.key
    const done = answer
    inTurn(res, () => {
      write(res, route, done)
      observe({
        method: route.method,
        path,
        route: route.pattern,
        status: done.status,
        seconds: (performance.now() - started) / 1000,
        actor: call?.actor ?? (key && actorOf(key)),
        keyEnvironment: key?.environment ?? undefined,
      })
    })
  }

  /** A GET with a body (a length other than 0, or chunked) is left to hono, which limits and ignores it. */
  const bodiless = (incoming: IncomingMessage) =>
    incoming.headers['transfer-encoding'] === undefined && (incoming.headers['content-length'] ?? '0') === '0'

  return (incoming, res) => {
    const method = incoming.method
    if (method !== 'POST' && !(method === 'GET' && bodiless(incoming))) return false
    const target = incoming.url ?? ''
    const host = incoming.headers.host
    if (host === undefined || !PLAIN_HOST.test(host) || !PLAIN_TARGET.test(target) || DOT_SEGMENT.test(target) || 'encrypted' in incoming.socket) return false
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    for (const route of routes) {
      if (route.method !== method) continue
      const match = route.match.exec(path)
      if (match === null) continue
      serve(route, match.slice(1), path, incoming, res).catch((error: unknown) => {
        // A peer gone mid-body has nothing left to hear; anything else is a fault worth a log line.
        if (!incoming.destroyed) log(`${method} ${path}: no answer could be written`, error)
        res.destroy()
      })
      return true
    }
    return false
  }
}
