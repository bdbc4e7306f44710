import * as z from 'zod/mini'
import { flagState } from './flags.ts'
import { segment } from './segments.ts'

/**
 * One committed change to an environment (`sdk/core/changes.ts` `Change`), for readers of JSON
 * that carries one outside the SDK's own protocol parse: the change log's rows and the replicas'
 * change announcements.
 * A flag change carries the evaluation rules of its state (no guard, plan or environment).
 */
const rules = z.pick(flagState, { key: true, enabled: true, salt: true, stickiness: true, cohorts: true, version: true, clientSide: true })

export const change = z.discriminatedUnion('type', [
  z.object({ type: z.literal('flag'), version: z.number(), flag: rules }),
  z.object({ type: z.literal('flag_deleted'), version: z.number(), key: z.string() }),
  z.object({ type: z.literal('segment'), version: z.number(), segment }),
  z.object({ type: z.literal('segment_deleted'), version: z.number(), key: z.string() }),
])
