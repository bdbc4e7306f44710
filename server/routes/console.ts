import { Hono, type Context } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { createConsoleAssets, type ConsoleAssets } from '../console-serving/assets.ts'
import { shellHtml } from '../console-serving/shell.ts'
import type { AuthEnv } from '../auth/api-key.ts'
import { AppError, NotFoundError } from '../errors.ts'

/**
 * The console's own socket: the WebSocket of the host the page came from, and nothing else
 * (`'self'` covers ws: only in browsers that implement CSP level 3).
 */
const sameHostSockets = (c: Context) => {
  const { host } = new URL(c.req.url)
  return /^[a-zA-Z0-9.:[\]-]+$/.test(host) ? `ws://${host} wss://${host}` : ''
}

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", sameHostSockets],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  // HSTS is for whoever terminates TLS in front of this server, not for plain-HTTP localhost.
  strictTransportSecurity: false,
})

/**
 * The web console: `GET /` (the HTML shell) and `GET /console/<file>` (its content-hashed
 * bundle). The page itself holds no data; everything comes from the admin API with the key the
 * person signs in with.
 *
 * @example
 * app.route('/', consoleRoutes({ log }))
 */
export function consoleRoutes(options: {
  assets?: ConsoleAssets
  log: (message: string, error?: unknown) => void
}) {
  const assets = options.assets ?? createConsoleAssets({ log: options.log })
  const bundle = async (load: () => Promise<Awaited<ReturnType<ConsoleAssets['current']>>>) => {
    try {
      return await load()
    } catch (error) {
      options.log('console: build failed', error)
      throw new AppError(500, 'console_unavailable', `the console could not be built: ${(error as Error).message}`, undefined, {
        cause: error,
      })
    }
  }

  return new Hono<AuthEnv>()
    .use('/', headers)
    .use('/console/*', headers)
    .get('/', async (c) => {
      const { manifest } = await bundle(() => assets.current())
      c.header('Cache-Control', 'no-store')
      return c.html(shellHtml(manifest))
    })
    .get('/console/:file', async (c) => {
      const { files } = await bundle(() => assets.latest())
      const file = files.get(c.req.param('file'))
      // Thrown, so the app's one error function writes the refusal like every other 404.
      if (!file) throw new NotFoundError(`console file ${c.req.param('file')}`)
      // Names carry a content hash: a changed file gets a new name, so caching forever is safe.
      c.header('Cache-Control', 'public, max-age=31536000, immutable')
      c.header('Content-Type', file.type)
      return c.body(file.body as Uint8Array<ArrayBuffer>)
    })
}
