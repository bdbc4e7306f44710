import type { SdkUnderTest } from '../sdks/index.ts'

/**
 * Timing loops. Each child process runs exactly one SDK, so the call site below only ever sees
 * one `isEnabled` and stays monomorphic, as it would in an application. The loops count the
 * answers that are on: the total is checked against the verification, which also keeps the
 * compiler from discarding the calls.
 */

export interface Timed {
  ns: number
  on: number
}

export function timeSync(
  isEnabled: (key: string, user: unknown) => boolean,
  key: string,
  users: readonly unknown[],
  passes: number,
): Timed {
  let on = 0
  const start = process.hrtime.bigint()
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < users.length; i++) if (isEnabled(key, users[i])) on++
  }
  return { ns: Number(process.hrtime.bigint() - start), on }
}

/** LaunchDarkly's `variation` returns a promise; awaiting each call is what applications do. */
export async function timeAsync(
  isEnabled: (key: string, user: unknown) => Promise<boolean>,
  key: string,
  users: readonly unknown[],
  passes: number,
): Promise<Timed> {
  let on = 0
  const start = process.hrtime.bigint()
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < users.length; i++) if (await isEnabled(key, users[i])) on++
  }
  return { ns: Number(process.hrtime.bigint() - start), on }
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
