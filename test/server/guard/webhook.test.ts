import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { deliverWebhook } from '../../../server/guard/webhook.ts'

/** A receiver that answers each POST with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; hits: () => number; server: Server }> {
  let hits = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const status = statuses[Math.min(hits, statuses.length - 1)]!
      hits++
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, hits: () => hits, server }
}

let open: Server | undefined
afterEach(() => {
  open?.close()
  open = undefined
})

// The receivers listen on loopback, which only the operator's allow-list opens.
const noJitter = { random: () => 0, log: () => {}, allow: ['127.0.0.1'], secrets: ['whsec_test'] }

describe('deliverWebhook', () => {
  it('retries recoverable answers (5xx, 425, 429) until one is accepted', async () => {
    const hook = await receiver([503, 425, 429, 200])
    open = hook.server
    expect(await deliverWebhook(hook.url, { type: 'trip' }, { ...noJitter, attempts: 4 })).toBe(true)
    expect(hook.hits()).toBe(4)
  })

  it('gives up at once on a configuration error or a rejected request', async () => {
    for (const status of [401, 422]) {
      const hook = await receiver([status, 200])
      open = hook.server
      expect(await deliverWebhook(hook.url, {}, { ...noJitter, attempts: 4 })).toBe(false)
      expect(hook.hits()).toBe(1)
      hook.server.close()
    }
  })

  it('waits with jittered exponential backoff between attempts', async () => {
    const hook = await receiver([500])
    open = hook.server
    const draws: number[] = []
    const started = Date.now()
    const random = () => {
      draws.push(0.5)
      return 0.5
    }
    expect(await deliverWebhook(hook.url, {}, { ...noJitter, random, attempts: 3, baseDelayMs: 40 })).toBe(false)
    // One draw per wait: half of 40 ms, then half of 80 ms.
    expect(draws).toHaveLength(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
    expect(hook.hits()).toBe(3)
  })
})
