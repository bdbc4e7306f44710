import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as shapes from '../../api-shapes/index.ts'
import { allPages } from '../../api-shapes/pages.ts'
import { makeStack, type Stack } from '../helpers/stack.ts'

/** `allPages`, what the console and the CLI read whole lists with, against the real routes. */

let s: Stack
beforeEach(async () => {
  s = await makeStack()
})
afterEach(() => s.close())

describe('allPages', () => {
  it('follows nextCursor to every flag, once, in order', async () => {
    const keys = ['a1', 'a2', 'b1', 'b2', 'c1']
    for (const key of keys) await s.call('POST', '/api/v1/flags', { body: { key } })
    const asked: string[] = []
    const get = async (path: string) => {
      asked.push(path)
      const res = await s.call('GET', path)
      expect(res.status, JSON.stringify(res.json)).toBe(200)
      return shapes.flagList.parse(res.json)
    }
    expect((await allPages('/api/v1/flags?limit=2', get)).map((f) => f.key)).toEqual(keys)
    expect(asked).toHaveLength(3)
    expect(asked[1]).toMatch(/^\/api\/v1\/flags\?limit=2&cursor=/)
    expect((await allPages('/api/v1/flags', get)).map((f) => f.key)).toEqual(keys)
    expect(asked).toHaveLength(4)
  })

  it('reads the states of one environment page by page', async () => {
    for (const key of ['x', 'y', 'z']) await s.call('POST', '/api/v1/flags', { body: { key } })
    const states = await allPages('/api/v1/environments/production/flags?limit=1', async (path) =>
      shapes.flagStateList.parse((await s.call('GET', path)).json),
    )
    expect(states.map((st) => [st.key, st.environment])).toEqual([
      ['x', 'production'],
      ['y', 'production'],
      ['z', 'production'],
    ])
  })
})
