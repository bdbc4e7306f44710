/** The console's pages, addressed by the URL hash so the server serves one page for all. */
export type Route =
  | { page: 'flags' }
  | { page: 'flag'; key: string }
  | { page: 'segments' }
  | { page: 'segment'; key: string | null }
  | { page: 'connections' }
  | { page: 'requests' }

/**
 * `#/flags/checkout-v2?env=production` → the route and the environment it names.
 *
 * @example
 * parseRoute('#/segments/new?env=production') // { route: { page: 'segment', key: null }, env: 'production' }
 */
export function parseRoute(hash: string): { route: Route; env: string | undefined } {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2)
  const env = new URLSearchParams(query).get('env') ?? undefined
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  const [first, second] = parts
  if (first === 'flags' && second) return { route: { page: 'flag', key: second }, env }
  if (first === 'segments' && second)
    return { route: { page: 'segment', key: second === 'new' ? null : second }, env }
  if (first === 'segments') return { route: { page: 'segments' }, env }
  if (first === 'connections') return { route: { page: 'connections' }, env }
  if (first === 'requests') return { route: { page: 'requests' }, env }
  return { route: { page: 'flags' }, env }
}

/** The hash of a route in an environment. */
export function href(route: Route, env: string): string {
  const query = `?env=${encodeURIComponent(env)}`
  switch (route.page) {
    case 'flags':
      return `#/flags${query}`
    case 'flag':
      return `#/flags/${encodeURIComponent(route.key)}${query}`
    case 'segments':
      return `#/segments${query}`
    case 'segment':
      return `#/segments/${route.key === null ? 'new' : encodeURIComponent(route.key)}${query}`
    case 'connections':
      return `#/connections${query}`
    case 'requests':
      return `#/requests${query}`
  }
}
