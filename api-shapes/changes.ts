import * as z from 'zod/mini'
import { attributeCondition, cohort } from './rules.ts'

/**
 * One committed change to an environment (`sdk/core/changes.ts` `Change`), for readers of JSON
 * that carries one outside the SDK's own protocol parse: the replicas' change announcements.
 */
const rules = z.object({
  key: z.string(),
  enabled: z.boolean(),
  salt: z.string(),
  stickiness: z.string(),
  cohorts: z.array(cohort),
  version: z.number(),
  clientSide: z.optional(z.boolean()),
})
const segmentRules = z.object({
  key: z.string(),
  description: z.optional(z.string()),
  userIds: z.array(z.string()),
  conditions: z.array(attributeCondition),
  version: z.number(),
})

export const change = z.discriminatedUnion('type', [
  z.object({ type: z.literal('flag'), version: z.number(), flag: rules }),
  z.object({ type: z.literal('flag_deleted'), version: z.number(), key: z.string() }),
  z.object({ type: z.literal('segment'), version: z.number(), segment: segmentRules }),
  z.object({ type: z.literal('segment_deleted'), version: z.number(), key: z.string() }),
])
