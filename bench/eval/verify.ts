import { BETA_REGION, REGION_ROLLOUT_PERCENT, type FlagKind } from '../fixture/flags.ts'
import { BETA_IDS, type BenchUser } from '../fixture/users.ts'

/** Accepted share of `eu-west` users on for the 10% rollout (sampling error is ~0.3% here). */
const SHARE_MIN = 0.08
const SHARE_MAX = 0.12

export interface Verification {
  ok: boolean
  /** Human-readable evidence, printed in the table either way. */
  summary: string
  /** How many of all users are on: the timing loop must count exactly this per pass. */
  onPerPass: number
}

/**
 * Checks an SDK's answers over all users before any timing, so a figure is never printed for
 * an SDK that does not actually implement the flag: the rich flag must put ~10% of `eu-west`
 * users on, every beta user on and everyone else off; the plain flag must be on for all.
 */
export function verify(
  kind: FlagKind,
  users: readonly BenchUser[],
  answers: readonly boolean[],
): Verification {
  const beta = new Set(BETA_IDS)
  let onPerPass = 0
  let region = 0
  let regionOn = 0
  let betaOn = 0
  let othersOn = 0
  for (let i = 0; i < users.length; i++) {
    const user = users[i]!
    const on = answers[i] === true
    if (on) onPerPass++
    if (beta.has(user.id)) betaOn += on ? 1 : 0
    else if (user.region === BETA_REGION) {
      region++
      regionOn += on ? 1 : 0
    } else othersOn += on ? 1 : 0
  }
  if (kind === 'plain') {
    return {
      ok: onPerPass === users.length,
      summary: `${onPerPass}/${users.length} on`,
      onPerPass,
    }
  }
  const share = regionOn / region
  const ok =
    share >= SHARE_MIN && share <= SHARE_MAX && betaOn === BETA_IDS.length && othersOn === 0
  return {
    ok,
    summary:
      `${BETA_REGION} ${(share * 100).toFixed(2)}% on (want ${REGION_ROLLOUT_PERCENT}%), ` +
      `beta ${betaOn}/${BETA_IDS.length}, others on ${othersOn}`,
    onPerPass,
  }
}
