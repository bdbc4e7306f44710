import type { EvidenceIntake } from '../guard/evidence-intake.ts'
import type { Metrics } from './metrics.ts'

/**
 * The evidence intake with its batches counted: accepted, refused as a duplicate (an id already
 * ingested: a resend, harmless) or refused by validation (it threw). Wraps the one entry point
 * both transports (HTTP and WebSocket) use, without changing the intake itself.
 */
export function countBatches(intake: EvidenceIntake, metrics: Pick<Metrics, 'batchAccepted' | 'batchRefused'>): EvidenceIntake {
  async function counted(environment: string, take: () => ReturnType<EvidenceIntake['fromServer']>) {
    let outcome: Awaited<ReturnType<EvidenceIntake['fromServer']>>
    try {
      outcome = await take()
    } catch (error) {
      metrics.batchRefused(environment, 'invalid')
      throw error
    }
    if (outcome.duplicate) metrics.batchRefused(environment, 'duplicate')
    else metrics.batchAccepted(environment)
    return outcome
  }
  return {
    fromServer: (env, raw) => counted(env, () => intake.fromServer(env, raw)),
    fromClient: (env, raw, user, credit) => counted(env, () => intake.fromClient(env, raw, user, credit)),
  }
}
