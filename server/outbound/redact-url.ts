/**
 * A URL as logs may show it: scheme, host, port and path only. A user name, password, query
 * (`?token=…`) or fragment may hold a secret, so each is replaced by `…` (never dropped
 * silently, so a reader knows there was one).
 */
export function redactUrl(raw: string): string {
  if (!URL.canParse(raw)) return '(unparseable URL)'
  const url = new URL(raw)
  const credentials = url.username || url.password ? '…@' : ''
  const query = url.search ? '?…' : ''
  const fragment = url.hash ? '#…' : ''
  return `${url.protocol}//${credentials}${url.host}${url.pathname}${query}${fragment}`
}
