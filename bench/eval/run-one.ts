import { flagKey, type FlagKind } from '../fixture/flags.ts'
import { buildUsers } from '../fixture/users.ts'
import { emitResult } from '../lib/child.ts'
import { SDKS, isSdkId } from '../sdks/index.ts'
import { encodeKeys, murmur3Bytes, verifyFloor } from './hash-floor.ts'
import { answers, time } from './timing.ts'
import { verify } from './verify.ts'

/**
 * One sample, in a fresh process: `run-one.mjs <sdk> <rich|plain>` or `run-one.mjs floor`.
 * Sets the SDK up, verifies its answers, warms up, then times at least `MIN_EVALUATIONS`
 * evaluations cycling over all users (more for fast SDKs, so a sample lasts `MIN_SAMPLE_NS`).
 */

export interface Sample {
  ok: boolean
  summary: string
  nsPerEval?: number
  evaluations?: number
}

const MIN_EVALUATIONS = 1_000_000
const MIN_SAMPLE_NS = 400e6
const WARMUP_PASSES = 3

/** Whole passes over the users: enough evaluations and enough time, given a calibration pass. */
function passesFor(nsPerPass: number, userCount: number): number {
  const byCount = Math.ceil(MIN_EVALUATIONS / userCount)
  const byTime = Math.ceil(MIN_SAMPLE_NS / nsPerPass)
  return Math.max(byCount, byTime)
}

async function sampleSdk(id: string, kind: FlagKind): Promise<Sample> {
  if (!isSdkId(id)) throw new Error(`unknown SDK ${id}`)
  const key = flagKey(kind)
  const base = buildUsers()
  const sdk = await SDKS[id].load([{ key, kind }])
  const users = base.map((u) => sdk.toUser(u))

  const verdict = verify(kind, base, await answers(sdk, key, users))
  if (!verdict.ok) return { ok: false, summary: verdict.summary }

  let calibration = await time(sdk, key, users, 1)
  for (let i = 1; i < WARMUP_PASSES; i++) calibration = await time(sdk, key, users, 1)
  const passes = passesFor(calibration.ns, users.length)
  const timed = await time(sdk, key, users, passes)
  // Answers are deterministic: a different count means the SDK changed its mind mid-run.
  if (timed.on !== verdict.onPerPass * passes) {
    return { ok: false, summary: `unstable answers: ${timed.on} on in ${passes} passes` }
  }
  await sdk.close()
  const evaluations = passes * users.length
  return { ok: true, summary: verdict.summary, nsPerEval: timed.ns / evaluations, evaluations }
}

function sampleFloor(): Sample {
  const users = buildUsers()
  const keys = encodeKeys(users)
  const problem = verifyFloor(keys, users)
  if (problem !== undefined) return { ok: false, summary: problem }
  const { bytes, keyLength, count } = keys
  const run = (passes: number) => {
    let sink = 0
    const start = process.hrtime.bigint()
    for (let p = 0; p < passes; p++) {
      for (let i = 0; i < count; i++) sink = (sink + murmur3Bytes(bytes, i * keyLength, keyLength, 0)) | 0
    }
    return { ns: Number(process.hrtime.bigint() - start), sink }
  }
  let calibration = run(1)
  for (let i = 1; i < WARMUP_PASSES; i++) calibration = run(1)
  const passes = passesFor(calibration.ns, count)
  const timed = run(passes)
  const evaluations = passes * count
  return {
    ok: true,
    // The sink is printed so the hashing cannot be optimised away.
    summary: `${keyLength}-byte keys, checked against murmurhash.v3 (sink ${timed.sink >>> 0})`,
    nsPerEval: timed.ns / evaluations,
    evaluations,
  }
}

const [id = '', kind = 'rich'] = process.argv.slice(2)
if (kind !== 'rich' && kind !== 'plain') throw new Error(`unknown flag kind ${kind}`)
emitResult(id === 'floor' ? sampleFloor() : await sampleSdk(id, kind))
// The SDKs' reconnect and flush timers would keep the process alive for nothing.
process.exit(0)
