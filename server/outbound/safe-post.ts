import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { isIP } from 'node:net'
import type { AddressPolicy } from './address-policy.ts'

/** The limits of one outbound call (README "Security": webhook settings). */
export interface OutboundLimits {
  /** The whole call: connect, send, answer headers and body (default 5000 ms). */
  timeoutMs: number
  /** The largest answer body read; a longer one fails the call (default 64 KiB). */
  maxResponseBytes: number
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = { timeoutMs: 5000, maxResponseBytes: 64 * 1024 }

/**
 * How one call ended. `answered`: the receiver gave a status and a whole body within the cap.
 * Anything else is `refused` (the policy said no, nothing was sent), `redirect` (3xx: never
 * followed, so an answer cannot send the server on to an address the policy would refuse),
 * `too-large`, or `network` (connect error, reset, timeout, a body cut short).
 */
export type OutboundResult =
  | { outcome: 'answered'; status: number }
  | { outcome: 'redirect'; status: number }
  | { outcome: 'refused' | 'too-large' | 'network'; reason: string }

class RefusedAddress extends Error {}

/**
 * A `lookup` for `net.connect` that resolves the name once, refuses the connection when any
 * resolved address is refused by `policy`, and hands the socket exactly the addresses it
 * checked: the connection goes where the check looked (no second resolution a rebinding DNS
 * server could answer differently). Runs on every connection attempt.
 */
export function checkedLookup(policy: AddressPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const refusal = addresses.map((a) => policy.refusal(a.address)).find((r) => r !== undefined)
      if (refusal !== undefined || addresses.length === 0)
        return callback(new RefusedAddress(`${hostname} resolves to ${refusal ?? 'no address'}`), '', 0)
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]!
      callback(null, first.address, first.family)
    })
  }
}

/** Reads at most `cap` bytes of `res`, never decompressing; resolves how the read ended. */
function readCapped(res: IncomingMessage, cap: number): Promise<'whole' | 'too-large' | 'cut'> {
  return new Promise((resolve) => {
    let size = 0
    let done = false
    const finish = (how: 'whole' | 'too-large' | 'cut') => {
      if (done) return
      done = true
      resolve(how)
    }
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= cap) return
      finish('too-large')
      res.destroy()
    })
    res.on('end', () => finish(res.complete ? 'whole' : 'cut'))
    res.on('error', () => finish('cut'))
    res.on('close', () => finish(res.complete ? 'whole' : 'cut'))
  })
}

/**
 * POSTs `body` to `url` under `policy` and `limits`: the address is checked after DNS (or as
 * written, for an IP literal) on every connection, redirects are not followed, the answer is
 * read raw (no `accept-encoding` is offered and nothing is decompressed) up to a cap, and a body
 * cut short counts as a failure. Never throws.
 */
export async function safePost(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { policy: AddressPolicy; limits: OutboundLimits; resolve?: typeof dnsLookup },
): Promise<OutboundResult> {
  const target = new URL(url)
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return { outcome: 'refused', reason: `${target.protocol} is not http(s)` }
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
  // An IP literal never reaches `lookup` (net connects to it directly): check it here.
  if (isIP(host)) {
    const refusal = options.policy.refusal(host)
    if (refusal) return { outcome: 'refused', reason: refusal }
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<OutboundResult>((resolve) => {
    let settled = false
    const settle = (result: OutboundResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const req = send(target, {
      method: 'POST',
      // A fresh connection each call: a pooled socket would skip the address check.
      agent: false,
      lookup: checkedLookup(options.policy, options.resolve),
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'accept-encoding': 'identity', connection: 'close' },
    })
    const timer = setTimeout(() => {
      settle({ outcome: 'network', reason: `no whole answer within ${options.limits.timeoutMs} ms` })
      req.destroy()
    }, options.limits.timeoutMs)
    req.on('error', (error) =>
      settle(error instanceof RefusedAddress ? { outcome: 'refused', reason: error.message } : { outcome: 'network', reason: error.message }),
    )
    req.on('response', (res) => {
      const status = res.statusCode ?? 0
      readCapped(res, options.limits.maxResponseBytes).then((how) => {
        if (how === 'too-large') settle({ outcome: 'too-large', reason: `answer larger than ${options.limits.maxResponseBytes} bytes` })
        else if (how === 'cut') settle({ outcome: 'network', reason: 'answer cut short' })
        else if (status >= 300 && status < 400) settle({ outcome: 'redirect', status })
        else settle({ outcome: 'answered', status })
      })
    })
    req.end(body)
  })
}
