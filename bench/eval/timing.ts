import type { SdkUnderTest } from '../sdks/index.ts'

/**
 * Timing loops. Each child process runs exactly one SDK, so the call site below only ever sees
 * one `isEnabled` and stays monomorphic, as it would in an application. The loops count the
 * answers that are on: the total is checked against the verification, which also keeps the
 * compiler from discarding the calls.
 *
 * Each pass over all users is timed on its own; a sample reports the median pass, so a burst
 * of load from a neighbouring process on this shared 2-core machine skews one pass, not the
 * sample. GC pauses are not excluded that way: an allocating SDK collects many times per pass.
 */

export interface Timed {
  /** Wall-clock nanoseconds of each pass over all users. */
  passes: number[]
  /** CPU nanoseconds of the process (all threads) per pass: robust to waiting for a core. */
  cpu: number[]
  on: number
}

/** CPU time of the whole process so far, in nanoseconds. */
export const cpuNow = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) * 1000
}

export function timeSync(
  isEnabled: (key: string, user: unknown) => boolean,
  key: string,
  users: readonly unknown[],
  passes: number,
): Timed {
  const times: number[] = []
  const cpu: number[] = []
  let on = 0
  for (let p = 0; p < passes; p++) {
    const cpuStart = cpuNow()
    const start = process.hrtime.bigint()
    for (let i = 0; i < users.length; i++) if (isEnabled(key, users[i])) on++
    times.push(Number(process.hrtime.bigint() - start))
    cpu.push(cpuNow() - cpuStart)
  }
  return { passes: times, cpu, on }
}

/** LaunchDarkly's `variation` returns a promise; awaiting each call is what applications do. */
export async function timeAsync(
  isEnabled: (key: string, user: unknown) => Promise<boolean>,
  key: string,
  users: readonly unknown[],
  passes: number,
): Promise<Timed> {
  const times: number[] = []
  const cpu: number[] = []
  let on = 0
  for (let p = 0; p < passes; p++) {
    const cpuStart = cpuNow()
    const start = process.hrtime.bigint()
    for (let i = 0; i < users.length; i++) if (await isEnabled(key, users[i])) on++
    times.push(Number(process.hrtime.bigint() - start))
    cpu.push(cpuNow() - cpuStart)
  }
  return { passes: times, cpu, on }
}

export function time(sdk: SdkUnderTest, key: string, users: readonly unknown[], passes: number) {
  return sdk.sync
    ? Promise.resolve(timeSync(sdk.isEnabled, key, users, passes))
    : timeAsync(sdk.isEnabled, key, users, passes)
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
