import { BlockList, isIP } from 'node:net'

/**
 * Which addresses an outbound call (a webhook) may reach. Deny by default: loopback, private,
 * link-local (cloud metadata lives at 169.254.169.254 and fd00:ec2::254), carrier-grade NAT,
 * multicast, reserved and unspecified addresses, in IPv4 and IPv6, including IPv4 written inside
 * IPv6 (`::ffff:127.0.0.1`, NAT64). An operator lists the private targets that are wanted
 * (on-premises receivers, tests on loopback) in `CANARY_WEBHOOK_ALLOW` (README "Security").
 */
export interface AddressPolicy {
  /** Why `address` (an IP literal) may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined
}

/** IPv4 ranges that are not the public internet (RFC 6890 special-purpose registry, abridged). */
const DENIED_V4: ReadonlyArray<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

const DENIED_V6: ReadonlyArray<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local (private, cloud metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['100::', 64, 'discard'],
]

/** IPv6 forms that carry an IPv4 address in their last 32 bits: judged by that address. */
const EMBEDDING_V4 = [/^::ffff:(?:0:)?/i, /^64:ff9b::/i]

function lists(): Map<string, BlockList> {
  const byReason = new Map<string, BlockList>()
  const add = (address: string, prefix: number, reason: string, family: 'ipv4' | 'ipv6') => {
    const list = byReason.get(reason) ?? new BlockList()
    list.addSubnet(address, prefix, family)
    byReason.set(reason, list)
  }
  for (const [address, prefix, reason] of DENIED_V4) add(address, prefix, reason, 'ipv4')
  for (const [address, prefix, reason] of DENIED_V6) add(address, prefix, reason, 'ipv6')
  return byReason
}

/** `::ffff:7f00:1` → `127.0.0.1`; an address that embeds none comes back unchanged. */
function embeddedV4(address: string): string {
  if (isIP(address) !== 6) return address
  for (const form of EMBEDDING_V4) {
    if (!form.test(address)) continue
    const rest = address.replace(form, '')
    if (isIP(rest) === 4) return rest
    const groups = rest.split(':')
    if (groups.length !== 2) return address
    const [hi, lo] = groups.map((g) => parseInt(g, 16)) as [number, number]
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.')
  }
  return address
}

/**
 * Parses `CANARY_WEBHOOK_ALLOW`: comma-separated addresses or CIDR ranges
 * (`127.0.0.1,10.20.0.0/16,fd12::/64`). Throws a message naming the bad entry.
 */
export function parseAllowList(raw: string): string[] {
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean)
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address)
    const max = family === 4 ? 32 : 128
    if (family === 0 || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max)))
      throw new Error(`${entry} is not an IP address or CIDR range`)
  }
  return entries
}

/** The policy: deny the special-purpose ranges unless `allow` (addresses or CIDR ranges) lists the address. */
export function createAddressPolicy(options: { allow?: readonly string[] } = {}): AddressPolicy {
  const denied = lists()
  const allowed = new BlockList()
  for (const entry of options.allow ?? []) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) allowed.addAddress(address, family)
    else allowed.addSubnet(address, Number(prefix), family)
  }
  return {
    refusal(raw) {
      const address = embeddedV4(raw)
      const family = isIP(address)
      if (family === 0) return `${raw} is not an IP address`
      const type = family === 4 ? 'ipv4' : 'ipv6'
      if (allowed.check(address, type) || allowed.check(raw, isIP(raw) === 4 ? 'ipv4' : 'ipv6')) return undefined
      for (const [reason, list] of denied) if (list.check(address, type)) return `${raw} is a ${reason} address`
      return undefined
    },
  }
}
