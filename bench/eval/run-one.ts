import murmurhash from 'murmurhash'
import { flagKey, type FlagKind } from '../fixture/flags.ts'
import { buildUsers } from '../fixture/users.ts'
import { emitResult } from '../lib/child.ts'
import { median } from '../lib/stats.ts'
import { SDKS, isSdkId } from '../sdks/index.ts'
import { encodeKeys, murmur3Bytes, verifyFloor } from './hash-floor.ts'
import { answers, cpuNow, passesPerChunk, time, type Timed } from './timing.ts'
import { verify } from './verify.ts'

/**
 * One sample, in a fresh process: `main.mjs <sdk> <rich|plain>` or `main.mjs floor <loop|package>`.
 * Sets the SDK up, verifies its answers over all users (the first warm-up), warms up for
 * `WARMUP_NS` more, then times at least `MIN_EVALUATIONS` evaluations in whole passes over the
 * users, and at least `MIN_SAMPLE_NS` (more passes for fast SDKs).
 */

export interface Sample {
  ok: boolean
  summary: string
  /** Median chunk, per evaluation. */
  nsPerEval?: number
  /** All chunks, per evaluation (kept in the JSON for anyone who prefers the mean). */
  meanNsPerEval?: number
  /** Median chunk in process CPU time, per evaluation. */
  cpuNsPerEval?: number
  evaluations?: number
}

const MIN_EVALUATIONS = 1_000_000
const MIN_SAMPLE_NS = 300e6
/** Besides the verification pass: long enough for TurboFan to settle on a fast SDK. */
const WARMUP_NS = 100e6

/** Chunks (of `perChunk` passes) giving enough evaluations and enough time. */
function plan(nsPerPass: number, userCount: number) {
  const perChunk = passesPerChunk(nsPerPass)
  const byCount = Math.ceil(MIN_EVALUATIONS / userCount)
  const passes = Math.max(byCount, Math.ceil(MIN_SAMPLE_NS / nsPerPass))
  return { chunks: Math.ceil(passes / perChunk), perChunk }
}

function sampleOf(timed: Timed, evaluations: number, summary: string): Sample {
  return {
    ok: true,
    summary,
    nsPerEval: median(timed.wall),
    meanNsPerEval: timed.wall.reduce((a, b) => a + b, 0) / timed.wall.length,
    cpuNsPerEval: median(timed.cpu),
    evaluations,
  }
}

async function sampleSdk(id: string, kind: FlagKind): Promise<Sample> {
  if (!isSdkId(id)) throw new Error(`unknown SDK ${id}`)
  const key = flagKey(kind)
  const base = buildUsers()
  const sdk = await SDKS[id].load([{ key, kind }])
  const users = base.map((u) => sdk.toUser(u))

  const verdict = verify(kind, base, await answers(sdk, key, users))
  if (!verdict.ok) return { ok: false, summary: verdict.summary }

  const nsPerPass = (await time(sdk, key, users, 1)).wall[0]! * users.length
  await time(sdk, key, users, Math.ceil(WARMUP_NS / nsPerPass))
  const { chunks, perChunk } = plan(nsPerPass, users.length)
  const timed = await time(sdk, key, users, chunks, perChunk)
  // Answers are deterministic: a different count means the SDK changed its mind mid-run.
  const passes = chunks * perChunk
  if (timed.on !== verdict.onPerPass * passes) {
    return { ok: false, summary: `unstable answers: ${timed.on} on in ${passes} passes` }
  }
  await sdk.close()
  return sampleOf(timed, passes * users.length, verdict.summary)
}

/**
 * The hash floor: our tight loop over the pre-encoded keys (`loop`, the floor of the targets),
 * or the reference `murmurhash` package over the same bytes as one `Uint8Array` per key
 * (`package`, for comparison with the 40–45 ns "bytes at hand" figure). Timed like
 * `timeSync`, with the hash in place of an SDK call.
 */
function sampleFloor(variant: string): Sample {
  const users = buildUsers()
  const keys = encodeKeys(users)
  const problem = verifyFloor(keys, users)
  if (problem !== undefined) return { ok: false, summary: problem }
  const { bytes, keyLength, count } = keys
  const views = Array.from({ length: count }, (_, i) =>
    bytes.subarray(i * keyLength, (i + 1) * keyLength),
  )
  let sink = 0
  const run = (chunks: number, perChunk = 1): Timed => {
    const wall: number[] = []
    const cpu: number[] = []
    for (let c = 0; c < chunks; c++) {
      const cpuStart = cpuNow()
      const start = process.hrtime.bigint()
      for (let p = 0; p < perChunk; p++) {
        if (variant === 'package') {
          for (let i = 0; i < count; i++) sink = (sink + murmurhash.v3(views[i]!, 0)) | 0
        } else {
          for (let i = 0; i < count; i++) {
            sink = (sink + murmur3Bytes(bytes, i * keyLength, keyLength, 0)) | 0
          }
        }
      }
      wall.push(Number(process.hrtime.bigint() - start) / (perChunk * count))
      cpu.push((cpuNow() - cpuStart) / (perChunk * count))
    }
    return { wall, cpu, on: 0 }
  }
  const nsPerPass = run(1).wall[0]! * count
  run(Math.ceil(WARMUP_NS / nsPerPass))
  const { chunks, perChunk } = plan(nsPerPass, count)
  const timed = run(chunks, perChunk)
  // The sink is printed so the hashing cannot be optimised away.
  const summary = `${keyLength}-byte keys, checked against murmurhash.v3 (sink ${sink >>> 0})`
  return sampleOf(timed, chunks * perChunk * count, summary)
}

const [id = '', kind = 'rich'] = process.argv.slice(2)
if (id === 'floor') emitResult(sampleFloor(kind))
else if (kind === 'rich' || kind === 'plain') emitResult(await sampleSdk(id, kind))
else throw new Error(`unknown flag kind ${kind}`)
// The SDKs' reconnect and flush timers would keep the process alive for nothing.
process.exit(0)
