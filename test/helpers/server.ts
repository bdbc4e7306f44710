import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer, type ServerOptions } from '../../server/main.ts'

export const TEST_ADMIN_KEY = 'test-server-admin-key-0123456789abcdef'

export interface ApiResponse {
  status: number
  // Test code inspects arbitrary response shapes; the routes' own tests pin the types.
  json: any
}

const isStaleSocket = (error: unknown) => {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined
  return cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET'
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` (an IP, so clients never wait on a localhost IPv6 attempt). */
  readonly url: string
  readonly port: number
  readonly adminKey: string
  /** The SQLite file, kept across `stop()`/`restart()`. */
  readonly databasePath: string
  /** JSON request with the admin key unless another key (or `null` for none) is given. */
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<ApiResponse>
  /** Creates an SDK key and returns its secret. */
  createKey(kind: 'server' | 'client', environment?: string): Promise<string>
  /** Stops the server process part (the database file stays). */
  stop(): Promise<void>
  /** Starts again on the same port and database. */
  restart(): Promise<void>
  /** Stops (if running) and deletes the temporary directory. */
  close(): Promise<void>
}

/**
 * A real server (HTTP API + WebSocket stream) on a free loopback port with a fresh SQLite file,
 * for integration tests of the server and the SDK.
 *
 * @example
 * const server = await startTestServer()
 * await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
 * const key = await server.createKey('server')
 * await server.close()
 */
export async function startTestServer(
  options: ServerOptions = {},
  /** `databaseUrl`: run on that PostgreSQL database instead of the SQLite file (the `*.pg.test.ts` variants). */
  store: { databaseUrl?: string } = {},
): Promise<TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'canary-flags-test-'))
  const databasePath = join(directory, 'flags.db')
  const serverOptions: ServerOptions = { log: () => {}, ...options }
  const start = (port: number) =>
    startServer(
      {
        port,
        host: '127.0.0.1',
        databasePath,
        adminKey: TEST_ADMIN_KEY,
        // Port 0 is chosen on listening: the server then names its bound address itself.
        publicUrl: port === 0 ? '' : `http://127.0.0.1:${port}`,
        ...(store.databaseUrl ? { databaseUrl: store.databaseUrl } : {}),
      },
      serverOptions,
    )

  let running: RunningServer | undefined = await start(0)
  const port = running.port
  const url = `http://127.0.0.1:${port}`

  async function api(method: string, path: string, body?: unknown, key: string | null = TEST_ADMIN_KEY) {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (key !== null) headers.authorization = `Bearer ${key}`
    const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }
    let response: Response
    try {
      response = await fetch(url + path, init)
    } catch (error) {
      // After stop()/restart() fetch may reuse a pooled keep-alive socket of the old process,
      // which it only then finds closed. That request never reached a server: send it again.
      if (!isStaleSocket(error)) throw error
      response = await fetch(url + path, init)
    }
    const text = await response.text()
    return { status: response.status, json: text ? JSON.parse(text) : null }
  }

  const stop = async () => {
    const current = running
    running = undefined
    await current?.close()
  }

  return {
    url,
    port,
    adminKey: TEST_ADMIN_KEY,
    databasePath,
    api,
    async createKey(kind, environment = 'development') {
      const response = await api('POST', '/api/v1/keys', { name: `test-${kind}`, kind, environment })
      if (response.status !== 201) throw new Error(`creating a ${kind} key: ${JSON.stringify(response.json)}`)
      return response.json.secret as string
    },
    stop,
    async restart() {
      await stop()
      running = await start(port)
    },
    async close() {
      await stop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
