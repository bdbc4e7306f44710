import * as z from 'zod/mini'
import { attributeCondition } from './rules.ts'

/** Segments: named user lists and conditions that cohorts refer to. */
export const segment = z.object({
  key: z.string(),
  description: z.optional(z.string()),
  userIds: z.array(z.string()),
  conditions: z.array(attributeCondition),
  version: z.number(),
})
export const segmentList = z.object({ items: z.array(segment) })

export type SegmentShape = z.infer<typeof segment>
