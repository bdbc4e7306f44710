import type { IncomingMessage, RequestListener } from 'node:http'
import { isIP } from 'node:net'

/**
 * Whether a request to the keyless metrics port names a host this server answers to: an IP
 * address, `localhost`, or a name the operator listed (`METRICS_ALLOWED_HOSTS`). Anything else is
 * refused, so a web page whose name an attacker re-points at this machine (DNS rebinding) cannot
 * read `/metrics` through a browser on the intranet.
 */
export function metricsHostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return isIP(name) !== 0 || name === 'localhost' || allowed.includes(name)
}

/** The keyless `/metrics` port: only `GET /metrics`, only for an allowed Host (421 otherwise). */
export function metricsPortHandler(deps: {
  render: () => Promise<string>
  contentType: string
  allowedHosts: readonly string[]
  log: (message: string, error?: unknown) => void
}): RequestListener {
  return (req: IncomingMessage, res) => {
    if (!metricsHostAllowed(req.headers.host, deps.allowedHosts))
      return res.writeHead(421, { 'content-type': 'text/plain' }).end('unknown Host: list it in METRICS_ALLOWED_HOSTS\n')
    if (req.url !== '/metrics') return res.writeHead(404).end('only /metrics here\n')
    deps.render().then(
      (text) => res.writeHead(200, { 'content-type': deps.contentType }).end(text),
      (error: unknown) => {
        deps.log('rendering /metrics failed', error)
        res.writeHead(500).end()
      },
    )
  }
}
