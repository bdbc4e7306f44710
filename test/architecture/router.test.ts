import { RegExpRouter } from 'hono/router/reg-exp-router'
import type { SmartRouter } from 'hono/router/smart-router'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { makeStack, type Stack } from '../helpers/stack.ts'

/**
 * Every request of the app is matched by one router, which hono's SmartRouter picks at the first
 * request: its RegExpRouter when every route pattern can be combined into one expression, else
 * the slower TrieRouter for all of them (a third of `/health`'s cost, README "Server hot paths").
 * One route like `/:key/plan/:action{pause|resume|cancel}` beside `/:key/plan/preview` was enough
 * to lose it; this pins the fast one.
 */
let stack: Stack
beforeAll(async () => {
  stack = await makeStack()
})
afterAll(() => stack.close())

it('matches every route with RegExpRouter (no route pattern pushes the app onto the TrieRouter)', async () => {
  expect((await stack.app.request('/health')).status).toBe(200)
  const router = stack.app.router as SmartRouter<unknown>
  expect(router.activeRouter).toBeInstanceOf(RegExpRouter)
})
