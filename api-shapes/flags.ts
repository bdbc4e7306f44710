import * as z from 'zod/mini'
import { guardHealth, storedGuard } from './guard.ts'
import { plan, planSummary } from './plan.ts'
import { cohort, cohortSummary } from './rules.ts'

/** Flags: their definitions, their state in one environment, and the flags list. */

/** `GET /environments/:env/flags/:key` and every change of one state. */
export const flagState = z.object({
  key: z.string(),
  environment: z.string(),
  clientSide: z.optional(z.boolean()),
  enabled: z.boolean(),
  salt: z.string(),
  stickiness: z.string(),
  cohorts: z.array(cohort),
  version: z.number(),
  guard: z.nullable(storedGuard),
  plan: z.nullable(plan),
  updatedAt: z.number(),
})

/**
 * `PATCH …/flags/:key` of a state: the state after the write and whether it changed anything
 * (`false`: the state already held what was asked, and nothing was written or streamed).
 */
export const flagStateWrite = z.object({ ...flagState.shape, changed: z.boolean() })

const definition = {
  key: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  clientSide: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
}

/** `GET /flags/:key`, `POST /flags`: the definition and the states the key may see. */
export const flagDetail = z.object({ ...definition, states: z.array(flagState) })
/** `PATCH /flags/:key`: the definition alone. */
export const flagDefinition = z.object(definition)

/** What a flags list shows of one environment's state. */
export const stateSummary = z.object({
  enabled: z.boolean(),
  version: z.number(),
  cohorts: z.number(),
  widestRollout: z.number(),
  /** Who gets the flag, cohort by cohort (conditions shortened). */
  audience: z.array(cohortSummary),
  guard: guardHealth,
  plan: z.nullable(planSummary),
})

export const flagListItem = z.object({ ...definition, environments: z.record(z.string(), stateSummary) })
/**
 * A keyset page by flag key (`?limit=&cursor=`): `nextCursor` is the next page's `cursor`, null
 * on the last page. Lists up to the page limit (1,000) come whole in one page.
 */
const nextCursor = z.nullable(z.string())
export const flagList = z.object({ items: z.array(flagListItem), nextCursor })
export const flagStateList = z.object({ items: z.array(flagState), nextCursor })

export type FlagState = z.infer<typeof flagState>
export type FlagDetail = z.infer<typeof flagDetail>
export type StateSummary = z.infer<typeof stateSummary>
export type FlagListItem = z.infer<typeof flagListItem>
