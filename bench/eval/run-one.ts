import murmurhash from 'murmurhash'
import { flagKey, type FlagKind } from '../fixture/flags.ts'
import { buildUsers } from '../fixture/users.ts'
import { emitResult } from '../lib/child.ts'
import { median } from '../lib/stats.ts'
import { SDKS, isSdkId } from '../sdks/index.ts'
import { encodeKeys, murmur3Bytes, verifyFloor } from './hash-floor.ts'
import { answers, cpuNow, time } from './timing.ts'
import { verify } from './verify.ts'

/**
 * One sample, in a fresh process: `main.mjs <sdk> <rich|plain>` or `main.mjs floor <loop|package>`.
 * Sets the SDK up, verifies its answers over all users (the first warm-up), warms up once more,
 * then times at least `MIN_EVALUATIONS` evaluations in whole passes over the users (more for
 * fast SDKs, so a sample lasts at least `MIN_SAMPLE_NS`).
 */

export interface Sample {
  ok: boolean
  summary: string
  /** Median pass, per evaluation. */
  nsPerEval?: number
  /** All passes, per evaluation (kept in the JSON for anyone who prefers the mean). */
  meanNsPerEval?: number
  /** Median pass in process CPU time, per evaluation. */
  cpuNsPerEval?: number
  evaluations?: number
}

const MIN_EVALUATIONS = 1_000_000
const MIN_SAMPLE_NS = 300e6
/** Passes before timing besides the verification pass; fast SDKs need more to reach TurboFan. */
const WARMUP_NS = 100e6

/** Whole passes over the users: enough evaluations and enough time, given a calibration pass. */
function passesFor(nsPerPass: number, userCount: number, minNs: number, minEvaluations: number) {
  return Math.max(Math.ceil(minEvaluations / userCount), Math.ceil(minNs / nsPerPass))
}

function sampleOf(timed: { passes: number[]; cpu: number[] }, perPass: number, summary: string) {
  const { passes, cpu } = timed
  const total = passes.reduce((a, b) => a + b, 0)
  return {
    ok: true,
    summary,
    nsPerEval: median(passes) / perPass,
    meanNsPerEval: total / (passes.length * perPass),
    cpuNsPerEval: median(cpu) / perPass,
    evaluations: passes.length * perPass,
  } satisfies Sample
}

async function sampleSdk(id: string, kind: FlagKind): Promise<Sample> {
  if (!isSdkId(id)) throw new Error(`unknown SDK ${id}`)
  const key = flagKey(kind)
  const base = buildUsers()
  const sdk = await SDKS[id].load([{ key, kind }])
  const users = base.map((u) => sdk.toUser(u))

  const verdict = verify(kind, base, await answers(sdk, key, users))
  if (!verdict.ok) return { ok: false, summary: verdict.summary }

  const calibration = await time(sdk, key, users, 1)
  const nsPerPass = calibration.passes[0]!
  await time(sdk, key, users, passesFor(nsPerPass, users.length, WARMUP_NS, 0))
  const passes = passesFor(nsPerPass, users.length, MIN_SAMPLE_NS, MIN_EVALUATIONS)
  const timed = await time(sdk, key, users, passes)
  // Answers are deterministic: a different count means the SDK changed its mind mid-run.
  if (timed.on !== verdict.onPerPass * passes) {
    return { ok: false, summary: `unstable answers: ${timed.on} on in ${passes} passes` }
  }
  await sdk.close()
  return sampleOf(timed, users.length, verdict.summary)
}

/**
 * The hash floor: our tight loop over the pre-encoded keys (`loop`, the floor of the targets),
 * or the reference `murmurhash` package over the same bytes as one `Uint8Array` per key
 * (`package`, for comparison with the 40–45 ns "bytes at hand" figure).
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
  // Shaped like `timeSync`, with the hash inlined instead of an SDK call.
  const run = (passes: number) => {
    const times: number[] = []
    const cpu: number[] = []
    for (let p = 0; p < passes; p++) {
      const cpuStart = cpuNow()
      const start = process.hrtime.bigint()
      if (variant === 'package') {
        for (let i = 0; i < count; i++) sink = (sink + murmurhash.v3(views[i]!, 0)) | 0
      } else {
        for (let i = 0; i < count; i++) {
          sink = (sink + murmur3Bytes(bytes, i * keyLength, keyLength, 0)) | 0
        }
      }
      times.push(Number(process.hrtime.bigint() - start))
      cpu.push(cpuNow() - cpuStart)
    }
    return { passes: times, cpu }
  }
  const nsPerPass = run(1).passes[0]!
  run(passesFor(nsPerPass, count, WARMUP_NS, 0))
  const timed = run(passesFor(nsPerPass, count, MIN_SAMPLE_NS, MIN_EVALUATIONS))
  // The sink is printed so the hashing cannot be optimised away.
  const summary = `${keyLength}-byte keys, checked against murmurhash.v3 (sink ${sink >>> 0})`
  return sampleOf(timed, count, summary)
}

const [id = '', kind = 'rich'] = process.argv.slice(2)
if (id === 'floor') emitResult(sampleFloor(kind))
else if (kind === 'rich' || kind === 'plain') emitResult(await sampleSdk(id, kind))
else throw new Error(`unknown flag kind ${kind}`)
// The SDKs' reconnect and flush timers would keep the process alive for nothing.
process.exit(0)
