import { isPlainJsonObject } from '../guard/plain-batch.ts'
import { FLAG_KEY } from '../validation.ts'

/**
 * The fast path of two SDK request bodies' validation: a hand-written check of what SDKs send,
 * for `POST …/evaluate` (`schemas.evaluate`) and `POST /api/v1/metrics` (`schemas.metrics`). Each
 * accepts a strict subset of what its schema accepts and gives the same result for it; anything
 * else — every body the schema refuses, and odd ones it accepts (a `__proto__` attribute,
 * which the schema's copy turns into a prototype) — is `undefined`, and the schema decides, with
 * its field-named messages (`jsonBody`'s `fast` option). test/server/routes/plain-bodies.test.ts
 * checks that both paths agree.
 *
 * Why: the schema's parse of `{ flag, user }` was about a tenth of an evaluation request.
 */

/** `user`: a JSON object of attributes, as `z.record(z.string(), z.unknown())` reads it. */
function plainUser(value: unknown): Record<string, unknown> | undefined {
  if (!isPlainJsonObject(value) || Object.hasOwn(value, '__proto__')) return undefined
  return value
}

/** `{ flag, user }` of `POST /api/v1/environments/:env/evaluate`, or undefined (the schema decides). */
export function readPlainEvaluate(value: unknown): { flag: string; user: Record<string, unknown> } | undefined {
  if (!isPlainJsonObject(value)) return undefined
  let keys = 0
  for (const key in value) {
    if (key !== 'flag' && key !== 'user') return undefined
    keys++
  }
  const { flag } = value
  const user = plainUser(value.user)
  if (keys !== 2 || typeof flag !== 'string' || !FLAG_KEY.test(flag) || user === undefined) return undefined
  return { flag, user }
}

/** `{ batch, user? }` of `POST /api/v1/metrics`, or undefined (the schema decides). */
export function readPlainMetrics(value: unknown): { batch: unknown; user?: Record<string, unknown> } | undefined {
  if (!isPlainJsonObject(value) || !Object.hasOwn(value, 'batch')) return undefined
  for (const key in value) if (key !== 'batch' && key !== 'user') return undefined
  if (!Object.hasOwn(value, 'user')) return { batch: value.batch }
  const user = plainUser(value.user)
  return user === undefined ? undefined : { batch: value.batch, user }
}
