import type { SdkUnderTest } from '../sdks/index.ts'

/**
 * Timing loops. Each child process runs exactly one SDK, so the call site below only ever sees
 * one `isEnabled` and stays monomorphic, as it would in an application. The loops count the
 * answers that are on: the total is checked against the verification, which also keeps the
 * compiler from discarding the calls.
 *
 * Time is taken per chunk of whole passes over the users, and a sample reports the median
 * chunk: a burst of load from a neighbouring process on this shared 2-core machine then skews
 * one chunk, not the sample. Chunks last at least `MIN_CHUNK_NS` for every SDK (one pass of a
 * slow SDK, several of a fast one), so each chunk averages over scheduler time slices alike.
 * GC pauses are not excluded that way: an allocating SDK collects many times per chunk.
 */

const MIN_CHUNK_NS = 50e6

export interface Timed {
  /** Wall-clock nanoseconds per evaluation, one figure per chunk. */
  wall: number[]
  /** Process CPU time (all threads) per evaluation, per chunk: robust to waiting for a core. */
  cpu: number[]
  on: number
}

/** CPU time of the whole process so far, in nanoseconds. */
export const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) * 1000
}

/** How many passes make one chunk, given the duration of one pass. */
export const passesPerChunk = (nsPerPass: number) =>
  Math.max(1, Math.ceil(MIN_CHUNK_NS / nsPerPass))

export function timeSync(
  isEnabled: (key: string, user: unknown) => boolean,
  key: string,
  users: readonly unknown[],
  chunks: number,
  perChunk: number,
): Timed {
  const wall: number[] = []
  const cpu: number[] = []
  const evaluations = perChunk * users.length
  let on = 0
  for (let c = 0; c < chunks; c++) {
    const cpuStart = cpuNow()
    const start = process.hrtime.bigint()
    for (let p = 0; p < perChunk; p++) {
      for (let i = 0; i < users.length; i++) if (isEnabled(key, users[i])) on++
    }
    wall.push(Number(process.hrtime.bigint() - start) / evaluations)
    cpu.push((cpuNow() - cpuStart) / evaluations)
  }
  return { wall, cpu, on }
}

/** LaunchDarkly's `variation` returns a promise; awaiting each call is what applications do. */
export async function timeAsync(
  isEnabled: (key: string, user: unknown) => Promise<boolean>,
  key: string,
  users: readonly unknown[],
  chunks: number,
  perChunk: number,
): Promise<Timed> {
  const wall: number[] = []
  const cpu: number[] = []
  const evaluations = perChunk * users.length
  let on = 0
  for (let c = 0; c < chunks; c++) {
    const cpuStart = cpuNow()
    const start = process.hrtime.bigint()
    for (let p = 0; p < perChunk; p++) {
      for (let i = 0; i < users.length; i++) if (await isEnabled(key, users[i])) on++
    }
    wall.push(Number(process.hrtime.bigint() - start) / evaluations)
    cpu.push((cpuNow() - cpuStart) / evaluations)
  }
  return { wall, cpu, on }
}

export function time(
  sdk: SdkUnderTest,
  key: string,
  users: readonly unknown[],
  chunks: number,
  perChunk = 1,
): Promise<Timed> {
  return sdk.sync
    ? Promise.resolve(timeSync(sdk.isEnabled, key, users, chunks, perChunk))
    : timeAsync(sdk.isEnabled, key, users, chunks, perChunk)
}

/** Every user's answer once, in order (for verification; doubles as the first warm-up). */
export async function answers(sdk: SdkUnderTest, key: string, users: readonly unknown[]) {
  const out: boolean[] = new Array<boolean>(users.length)
  for (let i = 0; i < users.length; i++) {
    const user = users[i]
    out[i] = sdk.sync ? sdk.isEnabled(key, user) : await sdk.isEnabled(key, user)
  }
  return out
}
