/**
 * IPv4 ranges as RE2 patterns over dotted-quad text, so an Unleash `remoteAddress` range or
 * `IN_CIDR` constraint becomes a `matches` condition. Only canonical addresses (no leading
 * zeros) match, as the `ip-address` library Unleash uses requires.
 */

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'

/** `a.b.c.d` → its four octets, or undefined when it is not a canonical IPv4 address. */
export function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const octets = parts.map((p) => (/^(?:0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN))
  return octets.every((o) => o >= 0 && o <= 255) ? octets : undefined
}

/**
 * The anchored pattern of every address in `a.b.c.d/n` (or one address without `/n`), or
 * undefined when `range` is not an IPv4 range.
 *
 * @example
 * ipv4RangePattern('10.0.0.0/14') // '^10\\.(?:0|1|2|3)\\.' + OCTET + '\\.' + OCTET + '$'
 */
export function ipv4RangePattern(range: string): string | undefined {
  const [address, bitsText, extra] = range.split('/')
  if (extra !== undefined || address === undefined) return undefined
  const octets = parseIpv4(address)
  const bits = bitsText === undefined ? 32 : /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN
  if (octets === undefined || !(bits >= 0 && bits <= 32)) return undefined
  const parts = octets.map((octet, i) => {
    const fixed = Math.min(8, Math.max(0, bits - 8 * i))
    if (fixed === 8) return String(octet)
    if (fixed === 0) return OCTET
    const size = 2 ** (8 - fixed)
    const start = octet & (256 - size)
    return `(?:${Array.from({ length: size }, (_, k) => String(start + k)).join('|')})`
  })
  return `^${parts.join('\\.')}$`
}
