import { z } from 'zod'
import { CliError } from './errors.ts'

/**
 * The shapes of the API responses the human output reads. Loose objects: the server may add
 * fields without breaking the CLI, but a missing or mistyped field is reported, not printed as
 * `undefined`. (`--json` output skips these and prints the body as received.)
 */

const condition = z.union([
  z.looseObject({ segment: z.string(), negate: z.boolean().optional() }),
  z.looseObject({
    attribute: z.string(),
    operator: z.string(),
    values: z.array(z.union([z.string(), z.number()])),
    negate: z.boolean().optional(),
    caseInsensitive: z.boolean().optional(),
  }),
])
export type ConditionView = z.infer<typeof condition>

const cohort = z.looseObject({
  name: z.string(),
  conditions: z.array(condition),
  rollout: z.number(),
})

export const flagState = z.looseObject({
  key: z.string(),
  environment: z.string(),
  enabled: z.boolean(),
  salt: z.string(),
  stickiness: z.string(),
  cohorts: z.array(cohort),
  version: z.number(),
})
export type FlagStateView = z.infer<typeof flagState>

const definition = {
  key: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
}

const stateSummary = z.looseObject({
  enabled: z.boolean(),
  version: z.number(),
  cohorts: z.number(),
  widestRollout: z.number(),
})
export type StateSummaryView = z.infer<typeof stateSummary>

export const flagList = z.looseObject({
  items: z.array(
    z.looseObject({ ...definition, environments: z.record(z.string(), stateSummary) }),
  ),
})

export const flagDetail = z.looseObject({ ...definition, states: z.array(flagState) })

export const apiKey = z.looseObject({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  environment: z.string().nullable(),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
})

export const keyList = z.looseObject({ items: z.array(apiKey) })

export const createdKey = apiKey.extend({ secret: z.string() })

/** `data` as `schema` describes it, or a CliError naming the first field that did not fit. */
export function expectShape<T extends z.ZodType>(
  schema: T,
  data: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(data)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
  throw new CliError(`unexpected ${what} from the server (${where}${issue?.message ?? 'invalid'})`)
}
