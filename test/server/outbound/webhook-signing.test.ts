import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WebhookOptions } from '../../../server/guard/webhook.ts'
import { verifySignature } from '../../../server/outbound/signature.ts'
import { startReceiver } from '../../helpers/receiver.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Finding 5 (signed deliveries, per-webhook secrets shown once and rotatable with an overlap),
 * finding 6 (no credentials in webhook URLs) and finding 2 through the API: a real receiver on
 * loopback, the whole stack in memory, the guard's clock moved by hand.
 */
let s: Stack
let clock: number
let hook: Awaited<ReturnType<typeof startReceiver>>
let serverKey: string
const PROD = '/api/v1/environments/production/flags/checkout-v2'
let batch = 0

async function stack(webhook?: WebhookOptions) {
  s = await makeStack({ now: () => clock, ...(webhook && { webhook }) })
  await s.call('POST', '/api/v1/flags', { body: { key: 'checkout-v2' } })
  await s.call('PATCH', PROD, { body: { enabled: true, cohorts: [{ name: 'canary', conditions: [], rollout: 10 }] } })
  serverKey = (await s.call('POST', '/api/v1/keys', { body: { name: 'svc', kind: 'server', environment: 'production' } })).json.secret
}

beforeEach(async () => {
  clock = 1_800_000_000_000
  hook = await startReceiver()
})
afterEach(async () => {
  await hook.close()
  await s.close()
})

/** Sends a failing batch and lets a second pass: the guard trips and calls the webhook. */
async function trip() {
  await s.call('POST', '/api/v1/metrics', {
    key: serverKey,
    body: { batch: { id: `b-${++batch}`, start: clock - 5000, end: clock, flags: { 'checkout-v2': [200, 50, 0, 0] } } },
  })
  clock += 1000
  await s.guard.tick()
  await s.guard.settle()
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('signed webhook deliveries', () => {
  it('shows the secret once and signs every delivery over its timestamp and body', async () => {
    await stack()
    const set = await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: hook.url() } })
    const secret = set.json.webhookSecret as string
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    // Shown once: not in a later answer, the guard's view or the audit log.
    const again = await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: hook.url() } })
    expect(again.json.webhookSecret).toBeUndefined()
    const audit = await s.call('GET', '/api/v1/audit?limit=50')
    expect(JSON.stringify([audit.json, (await s.call('GET', `${PROD}/guard`)).json])).not.toContain(secret)

    await trip()
    const delivery = hook.received[0]!
    const header = delivery.headers['canary-signature'] as string
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(verifySignature(header, delivery.body, secret, { nowSeconds: nowSeconds() })).toBe(true)
    expect(delivery.headers['canary-delivery']).toMatch(/^[0-9a-f-]{36}$/)
    // A changed body, another secret or a stale timestamp (a replay) fails.
    expect(verifySignature(header, delivery.body.replace('checkout-v2', 'checkout-v3'), secret, { nowSeconds: nowSeconds() })).toBe(false)
    expect(verifySignature(header, delivery.body, 'whsec_other', { nowSeconds: nowSeconds() })).toBe(false)
    expect(verifySignature(header, delivery.body, secret, { nowSeconds: nowSeconds() + 3600 })).toBe(false)
  })

  it('rotates with an overlap: both secrets sign until it ends, then only the new one', async () => {
    await stack()
    const first = (await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: hook.url() } })).json.webhookSecret
    const rotated = await s.call('POST', `${PROD}/guard/webhook-secret`, { body: { overlapSeconds: 600 } })
    expect(rotated.status).toBe(200)
    expect(rotated.json).toEqual({ secret: expect.stringMatching(/^whsec_/), previousValidUntil: clock + 600_000 })
    const second = rotated.json.secret as string
    await trip()
    const during = hook.received.at(-1)!
    const header = during.headers['canary-signature'] as string
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2)
    for (const secret of [first, second]) expect(verifySignature(header, during.body, secret, { nowSeconds: nowSeconds() })).toBe(true)

    // The overlap ends; the flag is turned back on and trips again.
    clock += 600_000
    await s.call('PATCH', PROD, { body: { enabled: true } })
    await trip()
    const after = hook.received.at(-1)!
    expect(after).not.toBe(during)
    const later = after.headers['canary-signature'] as string
    expect(later.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(1)
    expect(verifySignature(later, after.body, second, { nowSeconds: nowSeconds() })).toBe(true)
    expect(verifySignature(later, after.body, first, { nowSeconds: nowSeconds() })).toBe(false)
  })

  it('refuses a rotation without a webhook, and a bad overlap, naming the field', async () => {
    await stack()
    const none = await s.call('POST', `${PROD}/guard/webhook-secret`)
    expect(none.status).toBe(400)
    expect(none.json.error.message).toContain('has no guard webhook')
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: hook.url() } })
    const bad = await s.call('POST', `${PROD}/guard/webhook-secret`, { body: { overlapSeconds: -1 } })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/^overlapSeconds/)
  })

  it('refuses a webhook URL with a user name or password, and changes nothing (finding 6)', async () => {
    await stack()
    const before = await s.fingerprint()
    const refused = await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: 'https://alice:pw@hooks.example/x' } })
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toMatch(/^webhookUrl: must not contain a user name or password/)
    expect(await s.fingerprint()).toEqual(before)
  })

  it('sends nothing to loopback unless the operator allows it (finding 2)', async () => {
    await stack({ allow: [] })
    await s.call('PUT', `${PROD}/guard`, { body: { maxErrorRate: 0.05, webhookUrl: hook.url('/trip?token=abc123') } })
    await trip()
    expect((await s.call('GET', PROD)).json.enabled).toBe(false)
    expect(hook.received).toHaveLength(0)
    expect(s.logged.filter((m) => m.includes('webhook'))).toEqual([
      `webhook http://127.0.0.1:${hook.port}/trip?… refused: 127.0.0.1 is a loopback address (list wanted private targets in CANARY_WEBHOOK_ALLOW) (attempt 1/3)`,
    ])
  })
})
