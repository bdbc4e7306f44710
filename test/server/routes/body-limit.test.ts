import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../../helpers/server.ts'

/**
 * The 1 MiB body limit over real HTTP, whichever way a client frames the body: a declared
 * `Content-Length` is judged from the header (no stream is built to read it), a chunked body is
 * counted as it arrives; both over the limit are 413 and create nothing.
 */
let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close())

const big = JSON.stringify({ key: 'too-big', description: 'x'.repeat(1024 * 1024 + 10) })

/** POSTs `body` to create a flag, with a Content-Length or chunked; resolves with status and body. */
function post(body: string, framing: 'content-length' | 'chunked'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' }
    if (framing === 'content-length') headers['content-length'] = Buffer.byteLength(body)
    const req = request(`${server.url}/api/v1/flags`, { method: 'POST', headers }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    // The server may answer 413 and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)))
    for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024))
    req.end()
  })
}

describe('request body limit over HTTP', () => {
  it.each(['content-length', 'chunked'] as const)('refuses a body over 1 MiB sent with %s with 413, creating nothing', async (framing) => {
    const res = await post(big, framing)
    expect(res.status).toBe(413)
    expect(JSON.parse(res.text).error.message).toMatch(/larger than 1048576 bytes/)
    expect((await server.api('GET', '/api/v1/flags/too-big')).status).toBe(404)
  })

  it.each(['content-length', 'chunked'] as const)('accepts a small body sent with %s', async (framing) => {
    const res = await post(JSON.stringify({ key: `small-${framing}` }), framing)
    expect(res.status).toBe(201)
  })
})
