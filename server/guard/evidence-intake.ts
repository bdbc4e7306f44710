import { armOf } from '../../sdk/core/results.ts'
import { ARMS, emptyArm, inArm, METRICS, type Evidence } from '../../sdk/core/metrics.ts'
import type { User } from '../../sdk/core/types.ts'
import type { EnvRules } from '../live/env-rules.ts'
import type { ClientCredit } from '../rate-limit/client-credit.ts'
import type { GuardService } from './guard-service.ts'
import { validateBatch } from './metrics-batch.ts'

/** One user's counters of a flag, whatever arm the browser put them in. */
function acrossArms(counts: Evidence) {
  const sum = emptyArm()
  for (const arm of ARMS) for (const metric of METRICS) sum[metric] += counts[arm][metric]
  return sum
}

/** What became of a batch: the SDK's acknowledgement and the connections list read it. */
export interface IntakeOutcome {
  id: string
  duplicate: boolean
  /** Flags the environment does not have: dropped, never given state. */
  unknownFlags: number
}

/**
 * Turns an SDK's metrics batch into evidence, the same way for every transport:
 * - one validation (metrics-batch.ts), refusing the whole batch with a field-named error;
 * - unknown flags dropped and counted (for a client key, so are flags not marked client-visible);
 * - reported duration histograms turned into `timed` and `slow` counts, slow against the flag's
 *   latency bound (its guard's `latency.slowerThanMs`; nothing is slow without one);
 * - server keys (secrets): counts taken as reported;
 * - client keys (public, inside web pages): the browser's own arms are ignored. The server
 *   evaluates the connection's user itself, puts that user's reported exposures and errors in
 *   the arm it computed (or nowhere), and caps them with the connection's ClientCredit: one
 *   exposure and one error per second per flag at most, one user's worth (timed and slow
 *   requests are events among those exposures, scaled down with them like errors). Events
 *   reported after their exposure's batch (a page that evaluated once and failed later) are
 *   credited against the exposures that connection reported before, never beyond them.
 */
export function createEvidenceIntake(deps: { guard: Pick<GuardService, 'ingest' | 'slowerThanMs'>; rules: EnvRules; now: () => number }) {
  const { guard, rules, now } = deps

  /** Validated, with only the flags this key may report on: all of them, or the client-visible ones. */
  async function known(env: string, raw: unknown, clientKey: boolean) {
    const ruleset = await rules.load(env)
    const visible = clientKey ? rules.clientVisible(env) : undefined
    const exists = (flag: string) => (visible ? visible.has(flag) : ruleset.compiled.has(flag))
    return { ruleset, valid: validateBatch(raw, exists, (flag) => guard.slowerThanMs(env, flag), clientKey) }
  }

  return {
    async fromServer(env: string, raw: unknown): Promise<IntakeOutcome> {
      const { valid } = await known(env, raw, false)
      const { batch, unknownFlags } = valid
      // With no unknown flag (the usual batch) the batch's own flags are the known ones.
      const accepted = await guard.ingest(env, unknownFlags === 0 ? batch : { ...batch, flags: Object.fromEntries(valid.known) }, 'server')
      return { id: batch.id, duplicate: !accepted, unknownFlags }
    },

    async fromClient(env: string, raw: unknown, user: User, credit: ClientCredit): Promise<IntakeOutcome> {
      const { ruleset, valid } = await known(env, raw, true)
      const { batch, known: counts, unknownFlags } = valid
      const at = now()
      const flags: Record<string, Evidence> = {}
      for (const [flag, reported] of counts) {
        const arm = armOf(ruleset.compiled.get(flag)!.evaluate(user))
        if (arm === 'none') continue
        const credited = credit.take(flag, acrossArms(reported), at)
        if (METRICS.every((metric) => credited[metric] <= 0)) continue
        flags[flag] = inArm(arm, credited)
      }
      const accepted = await guard.ingest(env, { ...batch, flags }, 'client')
      return { id: batch.id, duplicate: !accepted, unknownFlags }
    },
  }
}

export type EvidenceIntake = ReturnType<typeof createEvidenceIntake>
