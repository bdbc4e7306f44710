import type { StateWriter } from './state-writer.ts'
import { ConflictError } from '../errors.ts'
import type { GuardDecision } from './decide.ts'
import type { TripRecord } from '../domain/guard-state.ts'
import { isLivePlan } from '../domain/plan.ts'
import type { Watched } from './watch-list.ts'
import { deliverWebhook, type WebhookOptions } from './webhook.ts'
import { tripWords } from '../../api-shapes/trip-words.ts'

export type TripDecision = Extract<GuardDecision, { status: 'trip' }>

/** A flag whose test crossed its threshold, with the decision that says so. */
export interface DueTrip {
  entry: Watched
  decision: TripDecision
}

/** Where a guard's events go: its webhook URL (none: nowhere) and the flag whose secret signs them. */
export interface WebhookTarget {
  url: string | undefined
  environment: string
  flag: string
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
  webhook?: WebhookOptions | undefined
  /** The secrets that sign a flag's webhook deliveries now, newest first (store.webhookSecrets). */
  signingSecrets?: (envKey: string, flagKey: string) => Promise<string[]>
}) {
  const { service, now, log } = deps
  const pendingWebhooks = new Set<Promise<unknown>>()

  async function deliver(target: WebhookTarget, url: string, event: Record<string, unknown>): Promise<void> {
    const secrets = await (deps.signingSecrets?.(target.environment, target.flag) ?? Promise.resolve([])).catch((error: unknown) => {
      // Never send a delivery unsigned because the store hiccuped: a receiver would reject it anyway.
      log(`webhook of ${target.flag} in ${target.environment}: reading its signing secret failed`, error)
      return undefined
    })
    if (secrets) await deliverWebhook(url, event, { ...deps.webhook, secrets, log })
  }

  function notify(target: WebhookTarget, event: Record<string, unknown>): void {
    if (!target.url) return
    const delivery = deliver(target, target.url, event).finally(() => pendingWebhooks.delete(delivery))
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
    notify({ url: entry.guard.webhookUrl, environment: entry.env, flag: entry.flag }, { type: 'guard.trip', flag: entry.flag, environment: entry.env, version: after.version, ...record })
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
