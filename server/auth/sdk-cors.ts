import type { MiddlewareHandler } from 'hono'

export interface SdkCorsOptions {
  allowMethods: string[]
  allowHeaders: string[]
  exposeHeaders?: string[]
  maxAge: number
}

/** The CORS headers of every answer that is not a preflight (the hot lane adds the same ones). */
export function corsHeaders(options: SdkCorsOptions): Record<string, string> {
  const expose = options.exposeHeaders?.join(',')
  return expose ? { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': expose } : { 'Access-Control-Allow-Origin': '*' }
}

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
export function sdkCors(options: SdkCorsOptions): MiddlewareHandler {
  const methods = options.allowMethods.join(',')
  const headers = options.allowHeaders.join(',')
  const always = Object.entries(corsHeaders(options))
  const maxAge = String(options.maxAge)
  return async (c, next) => {
    for (const [name, value] of always) c.header(name, value)
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
