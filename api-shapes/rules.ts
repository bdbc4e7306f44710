import * as z from 'zod/mini'
import { OPERATORS } from '../sdk/core/types.ts'

/**
 * Targeting rules as the API answers with them: conditions (on an attribute or a segment) and
 * cohorts. `server/validation.ts` derives the request schemas from these, adding the bounds.
 */

export const attributeCondition = z.object({
  attribute: z.string(),
  operator: z.enum(OPERATORS),
  values: z.array(z.union([z.string(), z.number()])),
  negate: z.optional(z.boolean()),
  caseInsensitive: z.optional(z.boolean()),
})
export const segmentCondition = z.object({ segment: z.string(), negate: z.optional(z.boolean()) })
export const condition = z.union([segmentCondition, attributeCondition])
/**
 * A cohort's bucketing when it is not the project's own (sdk/core/types.ts `CohortBucketing`):
 * the hash of the product the flag was imported from, so its users keep their buckets.
 */
export const unleashBucketing = z.object({ mode: z.literal('unleash'), groupId: z.string(), stickiness: z.string() })
export const launchDarklyBucketing = z.object({
  mode: z.literal('launchdarkly'),
  flagKey: z.string(),
  salt: z.string(),
  attribute: z.string(),
  seed: z.optional(z.number()),
  offset: z.number(),
})
export const cohortBucketing = z.union([unleashBucketing, launchDarklyBucketing])
export const cohort = z.object({
  name: z.string(),
  conditions: z.array(condition),
  rollout: z.number(),
  bucketing: z.optional(cohortBucketing),
})

/** One condition, shortened for a list: a long user list is its first values and a count. */
export const conditionSummary = z.union([
  segmentCondition,
  z.object({
    attribute: z.string(),
    operator: z.enum(OPERATORS),
    values: z.array(z.union([z.string(), z.number()])),
    valueCount: z.number(),
    negate: z.optional(z.boolean()),
    caseInsensitive: z.optional(z.boolean()),
  }),
])
export const cohortSummary = z.object({
  name: z.string(),
  rollout: z.number(),
  conditions: z.array(conditionSummary),
  bucketing: z.optional(cohortBucketing),
})

export type AttributeConditionShape = z.infer<typeof attributeCondition>
export type ConditionShape = z.infer<typeof condition>
export type CohortShape = z.infer<typeof cohort>
export type CohortBucketingShape = z.infer<typeof cohortBucketing>
export type ConditionSummary = z.infer<typeof conditionSummary>
export type CohortSummary = z.infer<typeof cohortSummary>
