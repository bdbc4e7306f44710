import * as z from 'zod/mini'
import { flagState } from './flags.ts'
import { armCountsFields, guardDecision, guardHealth, storedGuard } from './guard.ts'
import { planFigures, planProgress } from './plan.ts'

/** What the guard answers about one flag: its view, the report with the plan's progress. */

/** The guard's view of a flag (also the stream's `guard_update`). */
export const guardView = z.object({
  status: guardHealth,
  decision: z.nullable(guardDecision),
  guard: z.nullable(storedGuard),
  recent: z.nullable(z.object({ ...armCountsFields, seconds: z.number() })),
  plan: z.nullable(planFigures),
})

/** `GET …/flags/:key/guard`. */
export const guardReport = z.object({ ...guardView.shape, planProgress })

/**
 * `PUT …/guard`: the new state and the guard's view of it, plus `webhookSecret` the first time
 * the flag gets a webhook (shown in this answer only; it signs every delivery).
 */
export const guardSet = z.object({ state: flagState, ...guardReport.shape, webhookSecret: z.optional(z.string()) })
/** `POST …/guard/webhook-secret`: the new signing secret (shown once) and until when the previous one still signs. */
export const webhookSecretRotated = z.object({ secret: z.string(), previousValidUntil: z.nullable(z.number()) })
/** `DELETE …/guard`. */
export const guardRemoved = z.object({ state: flagState })

export type GuardView = z.infer<typeof guardView>
export type GuardReport = z.infer<typeof guardReport>
