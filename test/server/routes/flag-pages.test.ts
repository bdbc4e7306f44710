import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as shapes from '../../../api-shapes/index.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/**
 * Keyset paging of `GET /api/v1/flags` and `GET /api/v1/environments/:env/flags`: pages follow
 * `nextCursor` to every flag exactly once, bad `limit` or `cursor` is a 400 naming the field.
 */

let s: Stack
beforeEach(async () => {
  s = await makeStack()
})
afterEach(() => s.close())

const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo']
const createAll = async (keys = KEYS) => {
  for (const key of keys) expect((await s.call('POST', '/api/v1/flags', { body: { key } })).status).toBe(201)
}

/** Follows `nextCursor` from the first page; `between` runs after each page. */
async function follow(path: string, options: { key?: string; between?: (page: number) => Promise<void> } = {}) {
  const pages: string[][] = []
  let cursor: string | null = null
  do {
    const separator = path.includes('?') ? '&' : '?'
    const res = await s.call('GET', cursor === null ? path : `${path}${separator}cursor=${encodeURIComponent(cursor)}`, { key: options.key })
    expect(res.status, JSON.stringify(res.json)).toBe(200)
    pages.push(res.json.items.map((item: { key: string }) => item.key))
    cursor = res.json.nextCursor
    await options.between?.(pages.length)
  } while (cursor !== null)
  return pages
}

describe('GET /api/v1/flags in pages', () => {
  it('answers a list under the page limit whole, with nextCursor null', async () => {
    await createAll([...KEYS].reverse())
    const res = await s.call('GET', '/api/v1/flags')
    expect(res.json.items.map((f: { key: string }) => f.key)).toEqual(KEYS)
    expect(res.json.nextCursor).toBeNull()
    expect(shapes.flagList.safeParse(res.json).success).toBe(true)
  })

  it('pages by limit; the pages concatenate to every flag once, in order, and the last says null', async () => {
    await createAll()
    expect(await follow('/api/v1/flags?limit=2')).toEqual([['alpha', 'bravo'], ['charlie', 'delta'], ['echo']])
    // An exact multiple ends on a full page, not an empty one after it.
    expect(await follow('/api/v1/flags?limit=5')).toEqual([KEYS])
    const first = await s.call('GET', '/api/v1/flags?limit=1')
    expect(shapes.flagList.safeParse(first.json).success).toBe(true)
    expect(first.json.items[0].environments).toHaveProperty('production')
    expect(typeof first.json.nextCursor).toBe('string')
  })

  it('lists every flag live throughout once while flags are created and archived between pages', async () => {
    await createAll()
    const pages = await follow('/api/v1/flags?limit=2', {
      async between(page) {
        if (page !== 1) return
        await s.call('DELETE', '/api/v1/flags/alpha')
        await s.call('DELETE', '/api/v1/flags/delta')
        await s.call('POST', '/api/v1/flags', { body: { key: 'aardvark' } })
        await s.call('POST', '/api/v1/flags', { body: { key: 'cobra' } })
      },
    })
    expect(pages.flat()).toEqual(['alpha', 'bravo', 'charlie', 'cobra', 'echo'])
  })

  it('refuses a bad limit or cursor with 400 naming the field, and an unknown parameter', async () => {
    await createAll()
    for (const limit of ['0', '1001', '-1', '1.5', 'ten', ''])
      await expectRefused(`/api/v1/flags?limit=${limit}`, /^limit: /)
    for (const cursor of ['nonsense', 'YWxwaGE', '%E2%9C%93', Buffer.from('k1:NOT A KEY').toString('base64url'), 'x'.repeat(400)])
      await expectRefused(`/api/v1/flags?cursor=${cursor}`, /^cursor: .*nextCursor/)
    await expectRefused('/api/v1/flags?page=2', /page/)
    expect((await s.call('GET', '/api/v1/flags?limit=1000')).status).toBe(200)
  })

  it('pages an environment key through its own environment only', async () => {
    await createAll()
    const created = await s.call('POST', '/api/v1/keys', { body: { name: 'prod', kind: 'admin', environment: 'production' } })
    const key = created.json.secret as string
    expect(await follow('/api/v1/flags?limit=3', { key })).toEqual([['alpha', 'bravo', 'charlie'], ['delta', 'echo']])
    const first = await s.call('GET', '/api/v1/flags?limit=3', { key })
    const second = await s.call('GET', `/api/v1/flags?limit=3&cursor=${first.json.nextCursor}`, { key })
    const environments = [...first.json.items, ...second.json.items].flatMap((f: { environments: object }) => Object.keys(f.environments))
    expect(environments).toEqual(Array(5).fill('production'))
  })
})

describe('GET /api/v1/environments/:env/flags in pages', () => {
  it('pages the states of one environment by flag key', async () => {
    await createAll()
    expect(await follow('/api/v1/environments/production/flags?limit=2')).toEqual([['alpha', 'bravo'], ['charlie', 'delta'], ['echo']])
    const whole = await s.call('GET', '/api/v1/environments/production/flags')
    expect(whole.json.nextCursor).toBeNull()
    expect(whole.json.items.every((state: { environment: string }) => state.environment === 'production')).toBe(true)
    expect(shapes.flagStateList.safeParse(whole.json).success).toBe(true)
  })

  it('refuses a bad limit or cursor with 400, and an unknown environment with 404', async () => {
    await createAll()
    await expectRefused('/api/v1/environments/production/flags?limit=5000', /^limit: /)
    await expectRefused('/api/v1/environments/production/flags?cursor=nonsense', /^cursor: /)
    expect((await s.call('GET', '/api/v1/environments/staging/flags')).status).toBe(404)
  })
})

async function expectRefused(path: string, message: RegExp) {
  const res = await s.call('GET', path)
  expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBe(400)
  expect(res.json.error.message).toMatch(message)
}
