import * as z from 'zod/mini'

/**
 * The answer of `POST /api/v1/import/:source` (Unleash, LaunchDarkly): the mapping report, one
 * line per source flag and segment, and what the import did (or, for a dry run, would do).
 */

export const importStatus = z.enum(['exact', 'approximate', 'cannot_map'])
export const importAction = z.enum(['create', 'update', 'unchanged', 'overwrite', 'conflict'])

export const importResult = z.object({
  source: z.enum(['unleash', 'launchdarkly']),
  environment: z.string(),
  dryRun: z.boolean(),
  report: z.array(z.object({ key: z.string(), status: importStatus, notes: z.array(z.string()) })),
  segments: z.array(z.object({ source: z.string(), key: z.optional(z.string()), notes: z.array(z.string()) })),
  outcome: z.object({
    flags: z.array(z.object({ key: z.string(), action: importAction })),
    segments: z.array(z.object({ key: z.string(), action: importAction })),
  }),
})

export type ImportResultShape = z.infer<typeof importResult>
