import type { StateWriter } from './state-writer.ts'
import { ConflictError } from '../errors.ts'
import type { GuardDecision } from './decide.ts'
import type { TripRecord } from '../domain/guard-state.ts'
import { isLivePlan } from '../domain/plan.ts'
import type { Watched } from './watch-list.ts'
import { deliverWebhook } from './webhook.ts'
import { tripWords } from '../../api-shapes/trip-words.ts'

export type TripDecision = Extract<GuardDecision, { status: 'trip' }>

/** A flag whose test crossed its threshold, with the decision that says so. */
export interface DueTrip {
  entry: Watched
  decision: TripDecision
}

/** A trip found the flag already off: it was switched off meanwhile, so there is nothing to trip. */
class AlreadyOffError extends ConflictError {}

/**
 * Turns guarded flags off: one audited, streamed change by actor `guard` (stopping a live plan),
 * then the guard's webhook, delivered off the caller's path.
 */
export function createTripper(deps: {
  service: StateWriter
  now: () => number
  log: (message: string, error?: unknown) => void
  webhook?: { timeoutMs?: number; attempts?: number; baseDelayMs?: number } | undefined
}) {
  const { service, now, log } = deps
  const pendingWebhooks = new Set<Promise<unknown>>()

  function notify(url: string | undefined, event: Record<string, unknown>): void {
    if (!url) return
    const delivery = deliverWebhook(url, event, { ...deps.webhook, log }).finally(() => pendingWebhooks.delete(delivery))
    pendingWebhooks.add(delivery)
  }

  async function trip({ entry, decision }: DueTrip): Promise<void> {
    const counted = { rule: decision.rule, test: decision.test, limit: decision.limit, figures: decision.figures, span: decision.span }
    // The words are frozen with the figures: the audit entry, the webhook and the API carry the same sentence.
    const record: TripRecord = { at: now(), ...counted, summary: tripWords(counted) }
    // The evidence that trips it must not trip it again while the change commits.
    entry.evidence = null
    const after = await service.applyState(entry.env, entry.flag, {
      actor: 'guard',
      action: 'guard.trip',
      details: record,
      update: (current) => {
        // Switched off meanwhile (by a person, or by a previous leader's trip): nothing to do.
        if (!current.enabled) throw new AlreadyOffError(`${entry.flag} in ${entry.env} is already off`)
        const plan = current.plan
        return {
          enabled: false,
          guard: { ...(current.guard ?? entry.guard), lastTrip: record },
          ...(plan && isLivePlan(plan.status)
            ? { plan: { ...plan, status: 'stopped', nextAt: null, note: `guard tripped (${decision.rule})` } }
            : {}),
        }
      },
    }).catch((error: unknown) => {
      if (error instanceof AlreadyOffError) return undefined
      throw error
    })
    if (!after) return
    log(`guard: turned ${entry.flag} off in ${entry.env} (${decision.rule}, ${decision.test} test): ${record.summary}`)
    notify(entry.guard.webhookUrl, { type: 'guard.trip', flag: entry.flag, environment: entry.env, version: after.version, ...record })
  }

  return {
    /** Turns off every flag in `due`; a failure is logged per flag and the others still trip. */
    async tripAll(due: DueTrip[]): Promise<void> {
      await Promise.all(
        due.map((item) => trip(item).catch((error: unknown) => log(`guard: turning ${item.entry.flag} off in ${item.entry.env} failed`, error))),
      )
    },
    /** Calls a guard's webhook off the caller's path (trips, and plans that hold). */
    notify,
    /** Waits for webhook deliveries in flight. */
    async settle(): Promise<void> {
      await Promise.allSettled([...pendingWebhooks])
    },
  }
}

export type Tripper = ReturnType<typeof createTripper>
