/**
 * The admin API's shapes, one zod module per concept, written once. The routes type what they
 * send against them, the console and the CLI parse what they receive with them, the OpenAPI
 * document is derived from them, the store parses stored guard and plan JSON with them and
 * `server/validation.ts` derives the request schemas from them. One flavour, `zod/mini`, on
 * both sides: it keeps the console bundle small (no method chaining to ship).
 *
 * Plain objects (`z.object`) accept and drop fields they do not name, so a server may add a
 * field without breaking an older reader; a missing or mistyped field fails the parse, which
 * is what makes a renamed field fail loudly instead of showing `undefined`.
 *
 * These modules import zod and `sdk/core` only: the console's browser bundle takes them.
 *
 * @example
 * const list = shapes.flagList.parse(await response.json())
 */
export * from './rules.ts'
export * from './guard.ts'
export * from './plan.ts'
export * from './flags.ts'
export * from './guard-view.ts'
export * from './trip-words.ts'
export * from './metrics.ts'
export * from './environments.ts'
export * from './segments.ts'
export * from './keys.ts'
export * from './audit.ts'
export * from './connections.ts'
export * from './evaluation.ts'
export * from './change-requests.ts'
export * from './imports.ts'
export * from './people.ts'
