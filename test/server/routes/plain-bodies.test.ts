import { describe, expect, it } from 'vitest'
import { readPlainEvaluate, readPlainMetrics } from '../../../server/routes/plain-bodies.ts'
import { parse, schemas } from '../../../server/validation.ts'
import { seededRandom } from '../../helpers/random.ts'

/**
 * The SDK bodies' fast path (routes/plain-bodies.ts) against the schemas it stands in for: on
 * every input, either the fast path leaves it to the schema (`undefined`), or the schema accepts
 * it and gives an equal result. Inputs are generated from JSON text (as requests arrive), mostly
 * near-valid, so both sides of every rule come up; the common bodies must take the fast path.
 */

type Outcome = { ok: true; value: unknown } | { ok: false }
function bySchema(schema: Parameters<typeof parse>[0], value: unknown): Outcome {
  try {
    return { ok: true, value: parse(schema, value) }
  } catch {
    return { ok: false }
  }
}

/** Near-valid bodies as JSON text (a `__proto__` key can only come from text, as in a request). */
function generator(seed: number) {
  const random = seededRandom(seed)
  const pick = <T>(...options: T[]): T => options[Math.floor(random() * options.length)]!
  const often = () => random() < 0.8
  const flag = () => (often() ? JSON.stringify(`flag-${Math.floor(random() * 99)}`) : pick('""', '"a b"', '"."', '".."', '"a/b"', JSON.stringify('x'.repeat(129)), JSON.stringify('x'.repeat(128)), '"Feature.UTF-8.Hellø"', '"tab\\there"', '7', 'null', '["f"]'))
  const value = () => pick('"u1"', '42', 'true', 'null', '[1,"a"]', '{"nested":{"a":1}}', '""')
  const user = () => {
    if (!often()) return pick('null', '[]', '"u1"', '7', '{"__proto__":{"admin":true}}', '{"a":1,"__proto__":null}')
    const n = Math.floor(random() * 4)
    const names = ['userId', 'region', 'plan', 'constructor', 'toString', '', 'a.b']
    return `{${Array.from({ length: n }, () => `${JSON.stringify(pick(...names))}:${value()}`).join(',')}}`
  }
  const extra = () => (often() ? '' : pick(',"x":1', ',"flag":"dup"', ',"__proto__":{}', ',"user":{}'))
  return {
    evaluate: () => (often() ? `{"flag":${flag()},"user":${user()}${extra()}}` : pick('{}', '[]', 'null', '"x"', `{"user":${user()}}`, `{"flag":${flag()}}`)),
    metrics: () => {
      const batch = pick('{"id":"b1","start":1,"end":2,"flags":{}}', 'null', '7', '[]')
      return often() ? `{"batch":${batch}${often() ? `,"user":${user()}` : ''}${extra()}}` : pick('{}', '[]', '{"user":{}}', `{"batch":${batch},"users":{}}`)
    },
  }
}

describe('the SDK bodies fast path', () => {
  for (const [name, read, schema] of [
    ['POST …/evaluate', readPlainEvaluate, schemas.evaluate],
    ['POST /api/v1/metrics', readPlainMetrics, schemas.metrics],
  ] as const) {
    it(`${name}: gives the schema's result or leaves the body to it, on generated bodies`, () => {
      let fast = 0
      let refused = 0
      for (let seed = 1; seed <= 40; seed++) {
        const generate = generator(seed)
        for (let i = 0; i < 100; i++) {
          const text = name === 'POST …/evaluate' ? generate.evaluate() : generate.metrics()
          const value: unknown = JSON.parse(text)
          const schemaSays = bySchema(schema, value)
          const fastSays = read(value)
          if (!schemaSays.ok) refused++
          if (fastSays === undefined) continue
          fast++
          expect(schemaSays, text).toEqual({ ok: true, value: fastSays })
          // The same prototype as the schema's copy (a `__proto__` attribute must not be one).
          expect(Object.getPrototypeOf((fastSays as { user?: object }).user ?? {}), text).toBe(Object.prototype)
        }
      }
      // Both sides of the rules came up, and most valid bodies took the fast path.
      expect(fast).toBeGreaterThan(1000)
      expect(refused).toBeGreaterThan(500)
    })
  }

  it('takes the fast path for the bodies SDKs send, and leaves a __proto__ attribute to the schema', () => {
    const evaluate = JSON.parse('{"flag":"checkout-v2","user":{"userId":"u1","region":"eu-west"}}') as unknown
    expect(readPlainEvaluate(evaluate)).toEqual({ flag: 'checkout-v2', user: { userId: 'u1', region: 'eu-west' } })
    const batch = JSON.parse('{"batch":{"id":"b1","start":1,"end":2,"flags":{}}}') as unknown
    expect(readPlainMetrics(batch)).toEqual({ batch: { id: 'b1', start: 1, end: 2, flags: {} } })
    expect(readPlainEvaluate(JSON.parse('{"flag":"f","user":{"__proto__":{"admin":true}}}'))).toBeUndefined()
    expect(readPlainEvaluate(JSON.parse('{"flag":"a b","user":{}}'))).toBeUndefined()
    expect(readPlainMetrics(JSON.parse('{"batch":{},"user":[]}'))).toBeUndefined()
  })
})
