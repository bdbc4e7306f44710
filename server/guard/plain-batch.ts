import { DURATION_BUCKETS, slowCount, type ArmCounters, type Evidence } from '../../sdk/core/metrics.ts'
import { MAX_EXPOSURES_PER_BATCH, MAX_FLAGS_PER_BATCH, ValidBatch, type BatchContext } from './batch-shape.ts'

/**
 * The fast path of the metrics-batch validation (metrics-batch.ts): a hand-written check of the
 * batches SDKs actually send, with no schema machinery and no intermediate objects. It accepts a
 * strict subset of what the schema accepts, and gives the same result for it; for anything else
 * — every batch the schema refuses, and odd ones it accepts (a flag named `constructor` or
 * `__proto__`, objects that are not plain JSON objects) — it answers `undefined` and the schema
 * decides, with its field-named messages. So acceptance and errors are the schema's, and
 * test/server/guard/plain-batch.test.ts checks both paths agree on generated batches.
 *
 * Why: zod took about 0.6–1.2 ms per 50-flag batch (a nested parse per flag), which bounded the
 * metrics intake at about a thousand batches a second per core.
 */
export function readPlainBatch(value: unknown, context: BatchContext): ValidBatch | undefined {
  if (!isPlainJsonObject(value)) return undefined
  let keys = 0
  for (const key in value) {
    if (key !== 'id' && key !== 'start' && key !== 'end' && key !== 'flags') return undefined
    keys++
  }
  const { id, start, end, flags: reported } = value as Record<string, unknown>
  if (keys !== 4 || typeof id !== 'string' || id.length < 1 || id.length > 128) return undefined
  if (!isFiniteNumber(start) || !isFiniteNumber(end) || !isPlainJsonObject(reported)) return undefined
  const flags: Record<string, Evidence> = {}
  let count = 0
  let unknownFlags = 0
  for (const flag in reported) {
    if (++count > MAX_FLAGS_PER_BATCH || flag.length < 1 || flag.length > 128 || flag === '__proto__' || flag === 'constructor') return undefined
    const raw = reported[flag]
    const evidence = Array.isArray(raw) ? legacyEvidence(raw) : namedEvidence(raw, flag, context)
    if (evidence === undefined) return undefined
    flags[flag] = evidence
    if (!context.flagExists(flag)) unknownFlags++
  }
  return new ValidBatch({ id, start, end, flags }, unknownFlags, context.flagExists)
}

/** Only what `JSON.parse` makes: an object whose prototype is `Object.prototype`. */
export const isPlainJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_EXPOSURES_PER_BATCH

/** `[canary exposures, canary errors, control exposures, control errors]`, errors within exposures in either form. */
function legacyEvidence(raw: unknown[]): Evidence | undefined {
  if (raw.length !== 4) return undefined
  const [ce, cx, ke, kx] = raw
  if (!isCount(ce) || !isCount(cx) || !isCount(ke) || !isCount(kx) || cx > ce || kx > ke) return undefined
  return { canary: { exposures: ce, errors: cx, timed: 0, slow: 0 }, control: { exposures: ke, errors: kx, timed: 0, slow: 0 } }
}

/** `{ canary?: {…}, control?: {…} }`; arms this server does not know are ignored, as the schema strips them. */
function namedEvidence(raw: unknown, flag: string, context: BatchContext): Evidence | undefined {
  if (!isPlainJsonObject(raw)) return undefined
  const canary = armOf(raw.canary, flag, context)
  const control = canary && armOf(raw.control, flag, context)
  return control && { canary, control }
}

/**
 * One arm: `exposures` and `errors` (0 when absent), an optional duration histogram; other
 * counters are ignored (`timed` and `slow` are never taken from the wire). Events within
 * exposures unless the sender may report late events (client keys).
 */
function armOf(raw: unknown, flag: string, context: BatchContext): ArmCounters | undefined {
  if (raw === undefined) return { exposures: 0, errors: 0, timed: 0, slow: 0 }
  if (!isPlainJsonObject(raw)) return undefined
  const exposures = raw.exposures === undefined ? 0 : raw.exposures
  const errors = raw.errors === undefined ? 0 : raw.errors
  if (!isCount(exposures) || !isCount(errors)) return undefined
  if (!context.lateEvents && errors > exposures) return undefined
  const durations = raw.durations
  if (durations === undefined) return { exposures, errors, timed: 0, slow: 0 }
  if (!Array.isArray(durations) || durations.length !== DURATION_BUCKETS) return undefined
  let timed = 0
  for (let i = 0; i < DURATION_BUCKETS; i++) {
    const n: unknown = durations[i]
    if (!isCount(n)) return undefined
    timed += n
  }
  if (!context.lateEvents && timed > exposures) return undefined
  const bound = context.slowerThanMs(flag)
  return { exposures, errors, timed, slow: bound === undefined ? 0 : slowCount(durations as number[], bound) }
}
