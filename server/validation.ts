import { z } from 'zod'
import { conditionProblem } from '../sdk/core/index.ts'
import { OPERATORS } from '../sdk/core/types.ts'
import { decodeCursor } from './cursor.ts'
import { ValidationError } from './errors.ts'

/**
 * Input schemas for the admin API. Everything that reaches the store went through one of
 * these, so stored rules are always well-formed for `sdk/core`.
 */

export const FLAG_KEY = /^[a-z0-9][a-z0-9._-]{0,127}$/
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

export const flagKey = z
  .string()
  .regex(FLAG_KEY, 'use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit (at most 128 characters)')
export const envKey = z
  .string()
  .regex(NAME, 'use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit (at most 64 characters)')
const attribute = z.string().min(1).max(128)

/** 0–100 with at most three decimals: 0.001% is the finest step the bucketing can express. */
export const rollout = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'must have at most 3 decimals')

export const attributeCondition = z
  .strictObject({
    attribute,
    operator: z.enum(OPERATORS, {
      error: (issue) => `unknown operator ${JSON.stringify(issue.input)}; expected one of ${OPERATORS.join(', ')}`,
    }),
    values: z.array(z.union([z.string().max(1024), z.number()])).max(10_000),
    negate: z.boolean().optional(),
    caseInsensitive: z.boolean().optional(),
  })
  // The core says which values an operator can use, so input rules and evaluation never disagree.
  .superRefine((cond, ctx) => {
    const problem = conditionProblem(cond)
    if (problem) ctx.addIssue({ code: 'custom', path: ['values'], message: `${cond.operator}: ${problem}` })
  })

const segmentCondition = z.strictObject({ segment: envKey, negate: z.boolean().optional() })

export const condition = z.union([segmentCondition, attributeCondition])

export const cohort = z.strictObject({
  name: z.string().min(1).max(64),
  conditions: z.array(condition).max(50).default([]),
  rollout,
})

export const cohorts = z
  .array(cohort)
  .max(100)
  .superRefine((list, ctx) => {
    const seen = new Set<string>()
    list.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate cohort name ${c.name}` })
      seen.add(c.name)
    })
  })

const version = z.number().int().nonnegative()

/** Refuses an update that names no field to change (a version alone changes nothing). */
const somethingToChange = <T extends Record<string, unknown>>(update: T) =>
  Object.entries(update).some(([field, value]) => field !== 'version' && value !== undefined)
const NOTHING_TO_CHANGE = { message: 'nothing to change: name at least one field to update' }

/**
 * Flags and states come in pages of at most this many (the default: lists up to this size come
 * whole). A page of 1,000 flags is about 0.4 MB of JSON, built in a few milliseconds, so one
 * request never holds the event loop long however many flags there are.
 */
export const PAGE_LIMIT = 1000

/** `?limit=&cursor=` of a keyset-paged list; `after` is the key the cursor carries. */
const pageQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT).default(PAGE_LIMIT),
    cursor: z
      .string()
      .transform((cursor, ctx) => {
        const key = decodeCursor(cursor, (k) => FLAG_KEY.test(k))
        if (key === undefined)
          ctx.addIssue({ code: 'custom', message: 'not a cursor this server handed out: pass the previous page\'s nextCursor as it came' })
        return key
      })
      .optional(),
  })
  .transform(({ limit, cursor }) => ({ limit, after: cursor }))

const webhookUrl = z
  .string()
  .max(2000)
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL')

export const schemas = {
  guard: z.strictObject({
    maxErrorRate: z.number().min(0).max(1),
    /** Optional floor of canary exposures before any trip; the tests need no minimum. */
    minExposures: z.number().int().min(0).max(100_000_000).optional(),
    /** The span of the recent figures shown beside the statistics (not the test). */
    windowSeconds: z.number().int().min(10).max(600).optional(),
    maxRatioToControl: z.number().gt(1).max(1000).optional(),
    evidence: z.enum(['server', 'all']).optional(),
    webhookUrl: webhookUrl.optional(),
    version: version.optional(),
  }),
  plan: z
    .strictObject({
      cohort: z.string().min(1).max(64),
      steps: z.array(rollout).min(2).max(20),
      intervalSeconds: z.number().int().min(1).max(30 * 24 * 3600),
      /** How long a due step may wait for evidence before the plan holds and calls the webhook. */
      maxWaitSeconds: z.number().int().min(1).max(30 * 24 * 3600).optional(),
      /** Needed to replace a plan that is active, paused or held (otherwise 409). */
      replace: z.boolean().optional(),
      version: version.optional(),
    })
    .refine((p) => p.steps.every((s, i) => i === 0 || s > p.steps[i - 1]!), {
      path: ['steps'],
      message: 'must be strictly increasing',
    }),
  /** The batch is validated by server/guard/metrics-batch.ts, the one check for every transport. */
  metrics: z.strictObject({
    batch: z.unknown(),
    /** Client keys: the user the browser reports for (the server evaluates it to pick the arm). */
    user: z.record(z.string(), z.unknown()).optional(),
  }),
  /** `span` (15m, 1h, 6h, 24h) or, as before, `hours`; `span` wins when both are given. */
  metricsQuery: z.strictObject({
    hours: z.coerce.number().min(0.1).max(24 * 7).default(3),
    span: z.enum(['15m', '1h', '6h', '24h']).optional(),
  }),
  createEnvironment: z.strictObject({ key: envKey, name: z.string().min(1).max(128).optional() }),
  createFlag: z.strictObject({
    key: flagKey,
    description: z.string().max(2000).default(''),
    tags: z.array(z.string().min(1).max(64)).max(50).default([]),
    /** Visible to client (browser) keys; new flags are not. */
    clientSide: z.boolean().default(false),
  }),
  updateFlag: z
    .strictObject({
      description: z.string().max(2000).optional(),
      tags: z.array(z.string().min(1).max(64)).max(50).optional(),
      clientSide: z.boolean().optional(),
    })
    .refine(somethingToChange, NOTHING_TO_CHANGE),
  /** Partial update of a state; `version` (or If-Match) guards against lost updates. */
  patchState: z
    .strictObject({
      enabled: z.boolean().optional(),
      stickiness: attribute.optional(),
      cohorts: cohorts.optional(),
      version: version.optional(),
    })
    .refine(somethingToChange, NOTHING_TO_CHANGE),
  setRollout: z.strictObject({ rollout, version: version.optional() }),
  segment: z.strictObject({
    key: envKey,
    description: z.string().max(2000).optional(),
    userIds: z.array(z.string().min(1).max(256)).max(100_000).default([]),
    conditions: z.array(attributeCondition).max(50).default([]),
    version: version.optional(),
  }),
  createKey: z.strictObject({
    name: z.string().min(1).max(128),
    kind: z.enum(['admin', 'server', 'client']),
    environment: envKey.nullable().optional(),
  }),
  evaluate: z.strictObject({
    flag: flagKey,
    user: z.record(z.string(), z.unknown()),
  }),
  pageQuery,
  auditQuery: z.strictObject({
    flag: flagKey.optional(),
    env: envKey.optional(),
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  }),
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] }

/**
 * Issues with unions resolved: of the alternatives, report the one that came closest (fewest
 * issues), so `{attribute, operator: "sounds_like"}` says "unknown operator", not "no match".
 */
function flatten(issues: Issue[], prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path]
    if (issue.code !== 'invalid_union' || !issue.errors?.length) return [{ path, message: issue.message }]
    const closest = issue.errors.reduce((a, b) => (b.length < a.length ? b : a))
    return flatten(closest, path)
  })
}

/** Parses `input` or throws a ValidationError whose message names every bad field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, what = 'body'): z.output<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues = flatten(result.error.issues as Issue[]).map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : what,
    message: issue.message,
  }))
  throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues })
}
