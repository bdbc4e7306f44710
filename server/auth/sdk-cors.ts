import type { MiddlewareHandler } from 'hono'

/**
 * CORS for the SDK routes (any origin: browser SDKs run on the customers' sites), with the same
 * answers as hono's `cors({ origin: '*' })` but without its cost: hono's sets its headers on
 * `c.res` before the handler runs, which makes hono wrap the handler's response again afterwards
 * and makes the Node adapter turn it into a full fetch `Response` with a `ReadableStream` body —
 * about a tenth of an OFREP request. These headers go through `c.header()`, which the handler's
 * response takes as it is built. Admin routes get no CORS at all.
 *
 * @example
 * app.use('/ofrep/v1/*', sdkCors({ allowMethods: ['GET', 'POST'], allowHeaders: ['authorization'], maxAge: 600 }))
 */
export function sdkCors(options: { allowMethods: string[]; allowHeaders: string[]; exposeHeaders?: string[]; maxAge: number }): MiddlewareHandler {
  const methods = options.allowMethods.join(',')
  const headers = options.allowHeaders.join(',')
  const expose = options.exposeHeaders?.join(',')
  const maxAge = String(options.maxAge)
  return async (c, next) => {
    c.header('Access-Control-Allow-Origin', '*')
    if (expose) c.header('Access-Control-Expose-Headers', expose)
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Max-Age', maxAge)
      c.header('Access-Control-Allow-Methods', methods)
      c.header('Access-Control-Allow-Headers', headers)
      c.header('Vary', 'Access-Control-Request-Headers', { append: true })
      return c.body(null, 204)
    }
    await next()
  }
}
