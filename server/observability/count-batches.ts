import type { GuardService } from '../guard/guard-service.ts'
import type { Metrics } from './metrics.ts'

/**
 * The guard with its batch intake counted: accepted, refused as a duplicate (an id already
 * ingested: a resend, harmless) or refused by the guard's validation (it threw). Wraps the
 * one entry point both transports use, without changing the guard itself.
 */
export function countBatches(guard: GuardService, metrics: Pick<Metrics, 'batchAccepted' | 'batchRefused'>): GuardService {
  return {
    ...guard,
    ingest(environment, batch) {
      let accepted: boolean
      try {
        accepted = guard.ingest(environment, batch)
      } catch (error) {
        metrics.batchRefused(environment, 'invalid')
        throw error
      }
      if (accepted) metrics.batchAccepted(environment)
      else metrics.batchRefused(environment, 'duplicate')
      return accepted
    },
  }
}
