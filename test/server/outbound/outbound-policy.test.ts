import type { lookup } from 'node:dns'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { deliverWebhook } from '../../../server/guard/webhook.ts'
import { createAddressPolicy, parseAllowList } from '../../../server/outbound/address-policy.ts'
import { redactUrl } from '../../../server/outbound/redact-url.ts'
import { startReceiver } from '../../helpers/receiver.ts'

type Receiver = Awaited<ReturnType<typeof startReceiver>>
const open: Receiver[] = []
async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(answer)
  open.push(r)
  return r
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()))
})

/** Delivery options of these tests: no jitter, a log that keeps its lines. */
function options(extra: Parameters<typeof deliverWebhook>[2] extends infer O ? Partial<O> : never = {}) {
  const logged: string[] = []
  return { logged, options: { random: () => 0, baseDelayMs: 1, attempts: 3, secrets: ['whsec_test'], log: (m: string) => logged.push(m), ...extra } }
}

/** A resolver answering `name` with the addresses of each call in turn (the last repeats). */
function resolver(answers: string[][]) {
  let calls = 0
  const resolve = ((_name: string, _opts: unknown, callback: (e: null, a: Array<{ address: string; family: number }>) => void) => {
    const addresses = answers[Math.min(calls++, answers.length - 1)]!
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))
  }) as unknown as typeof lookup
  return { resolve, calls: () => calls }
}

describe('the address policy', () => {
  const policy = createAddressPolicy()
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00:ec2::254', 'unique local'],
    ['fe80::1', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a00:1', 'private'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(policy.refusal(address)).toContain(reason)
  })

  it('lets public addresses through', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(policy.refusal(address)).toBeUndefined()
  })

  it('opens only what the allow-list names, and parses the setting strictly', () => {
    const allowing = createAddressPolicy({ allow: parseAllowList('127.0.0.1, 10.20.0.0/16') })
    expect(allowing.refusal('127.0.0.1')).toBeUndefined()
    expect(allowing.refusal('10.20.9.9')).toBeUndefined()
    expect(allowing.refusal('10.21.0.1')).toContain('private')
    expect(allowing.refusal('127.0.0.2')).toContain('loopback')
    expect(() => parseAllowList('localhost')).toThrow('localhost is not an IP address or CIDR range')
    expect(() => parseAllowList('10.0.0.0/33')).toThrow('10.0.0.0/33')
  })
})

describe('webhook delivery under the outbound policy', () => {
  it('refuses loopback and metadata targets by default: nothing is sent, nothing retried (finding 2)', async () => {
    const hook = await receiver()
    const { logged, options: o } = options()
    expect(await deliverWebhook(hook.url(), { type: 'guard.trip' }, o)).toBe(false)
    expect(await deliverWebhook('http://169.254.169.254/latest/meta-data/', {}, o)).toBe(false)
    expect(await deliverWebhook(`http://[::1]:${hook.port}/`, {}, o)).toBe(false)
    expect(hook.received).toHaveLength(0)
    expect(logged).toEqual([
      expect.stringContaining('refused: 127.0.0.1 is a loopback address'),
      expect.stringContaining('refused: 169.254.169.254 is a link-local (cloud metadata) address'),
      expect.stringContaining('refused: ::1 is a loopback address'),
    ])
  })

  it('checks every address a name resolves to, and again on every connection (DNS rebinding)', async () => {
    const hook = await receiver((res, hit) => res.writeHead(hit === 1 ? 503 : 200).end())
    // One public and one private answer: refused as a whole.
    const mixed = resolver([['93.184.216.34', '127.0.0.1']])
    const first = options({ resolve: mixed.resolve })
    expect(await deliverWebhook(`http://hooks.example:${hook.port}/`, {}, first.options)).toBe(false)
    expect(first.logged[0]).toContain('hooks.example resolves to 127.0.0.1 is a loopback address')
    // Allowed loopback for the first connection; the retry's resolution answers a private address.
    const rebinding = resolver([['127.0.0.1'], ['10.0.0.7']])
    const second = options({ resolve: rebinding.resolve, allow: ['127.0.0.1'] })
    expect(await deliverWebhook(`http://hooks.example:${hook.port}/`, {}, second.options)).toBe(false)
    expect(rebinding.calls()).toBe(2)
    // The first connection went to the address that was checked (the receiver saw the name as Host).
    expect(hook.received.map((r) => r.headers.host)).toEqual([`hooks.example:${hook.port}`])
    expect(second.logged[1]).toContain('10.0.0.7 is a private address')
  })

  it('never follows a redirect, and does not retry one (finding 3)', async () => {
    const elsewhere = await receiver()
    const hook = await receiver((res) => res.writeHead(307, { location: elsewhere.url('/internal') }).end())
    const { logged, options: o } = options({ allow: ['127.0.0.1'] })
    expect(await deliverWebhook(hook.url(), {}, o)).toBe(false)
    expect(hook.received).toHaveLength(1)
    expect(elsewhere.received).toHaveLength(0)
    expect(logged).toEqual([expect.stringContaining('answered 307: redirects are not followed')])
  })

  it('reads an answer raw up to the cap: a gzip bomb fails without being inflated (finding 4)', async () => {
    // 1 MiB of gzip that inflates to 1 GiB of zeros.
    const chunk = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => chunk))
    const hook = await receiver((res) => res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' }).end(bomb))
    const { logged, options: o } = options({ allow: ['127.0.0.1'] })
    const before = process.memoryUsage().rss
    expect(await deliverWebhook(hook.url(), {}, o)).toBe(false)
    expect(logged).toEqual([expect.stringContaining('failed: answer larger than 65536 bytes')])
    // Far from the 1 GiB the inflated answer would take (a generous bound against noise).
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024)
    expect(hook.received).toHaveLength(1)
  })

  it('counts an answer cut short as a failure, and retries it (finding 4)', async () => {
    const hook = await receiver((res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('partial')
      setImmediate(() => res.socket?.destroy())
    })
    const { logged, options: o } = options({ allow: ['127.0.0.1'], attempts: 2 })
    expect(await deliverWebhook(hook.url(), {}, o)).toBe(false)
    expect(hook.received).toHaveLength(2)
    expect(logged[0]).toContain('failed: answer cut short')
  })

  it('accepts an ordinary answer within the cap', async () => {
    const hook = await receiver((res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('ok')))
    const { options: o } = options({ allow: ['127.0.0.1'] })
    expect(await deliverWebhook(hook.url(), {}, o)).toBe(true)
  })

  it('never logs the credentials, query or fragment of a webhook URL (finding 6)', async () => {
    const hook = await receiver((res) => res.writeHead(500).end())
    const { logged, options: o } = options({ allow: ['127.0.0.1'] })
    const url = `http://alice:hunter2secret@127.0.0.1:${hook.port}/hook?token=t0psecret#frag-secret`
    expect(await deliverWebhook(url, {}, o)).toBe(false)
    expect(logged).toHaveLength(3)
    for (const line of logged) expect(line).not.toMatch(/hunter2secret|t0psecret|frag-secret|alice/)
    expect(logged[1]).toContain(`http://…@127.0.0.1:${hook.port}/hook?…#… answered 500`)
    expect(redactUrl('https://hooks.example/a/b')).toBe('https://hooks.example/a/b')
  })
})
