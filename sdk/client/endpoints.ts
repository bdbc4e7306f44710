/** The stream and metrics endpoints of a server. */
export interface Endpoints {
  stream: string
  metrics: string
}

/**
 * Both endpoints from the server's base URL. `http(s)://` and `ws(s)://` are accepted, with or
 * without a path prefix (a reverse proxy at `/flags`) or the stream path itself.
 *
 * @example
 * endpoints('https://flags.example.com')
 * // { stream: 'wss://flags.example.com/api/v1/stream', metrics: 'https://flags.example.com/api/v1/metrics' }
 */
export function endpoints(url: string): Endpoints {
  const parsed = new URL(url)
  const s = parsed.protocol === 'https:' || parsed.protocol === 'wss:' ? 's' : ''
  const api = `${parsed.host}${parsed.pathname.replace(/\/+$/, '').replace(/\/api\/v1\/stream$/, '')}/api/v1/`
  return { stream: `ws${s}://${api}stream`, metrics: `http${s}://${api}metrics` }
}
