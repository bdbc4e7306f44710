import * as z from 'zod/mini'
import * as shapes from '../api-shapes/index.ts'
import { notAPercentage } from '../api-shapes/percent.ts'
import { bucketingProblem, conditionProblem } from '../sdk/core/index.ts'
import { DURATION_BOUNDS } from '../sdk/core/metrics.ts'
import { OPERATORS } from '../sdk/core/types.ts'
import { decodeCursor } from './cursor.ts'
import { ValidationError } from './errors.ts'

/**
 * Input schemas for the admin API. Everything that reaches the store went through one of
 * these, so stored rules are always well-formed for `sdk/core`.
 *
 * Where a request carries a concept the API also answers with (conditions, cohorts, guard
 * settings, a plan, a segment, a key's kind), its schema is the response shape's
 * (`api-shapes/`) fields, strict and with bounds: the field names and types are written once.
 */

/**
 * What a flag key may be: the one rule (routes, cursors, the import). Apps call `isEnabled` with
 * the key, so keys imported from Unleash or LaunchDarkly stay exactly as the source names them
 * (`Feature.Variants.C`, `Feature.UTF-8.Hellø_Wørld`, `beta_checkout`): 1–128 characters of any
 * script, case kept. Refused: whitespace and control or invisible format characters (a key must
 * read the same in a log as in code), `/` and `\` (path separators in URLs and proxies), and
 * `.` or `..` alone (URL dot segments). Every client puts the key in a URL path percent-encoded.
 */
export const FLAG_KEY = /^(?!\.\.?$)[^\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}/\\]{1,128}$/u
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

export const flagKey = z
  .string()
  .check(
    z.regex(
      FLAG_KEY,
      'use 1 to 128 characters without spaces, control characters, / or \\ (and not . or .. alone); case is kept',
    ),
  )
export const envKey = z
  .string()
  .check(z.regex(NAME, 'use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit (at most 64 characters)'))
const attribute = z.string().check(z.minLength(1), z.maxLength(128))

/** 0–100 with at most three decimals: 0.001% is the finest step the bucketing can express. */
export const rollout = z
  .number()
  .check(
    // The CLI's and the console's wording, from its one home.
    z.minimum(0, { error: (issue) => notAPercentage(String(issue.input)) }),
    z.maximum(100, { error: (issue) => notAPercentage(String(issue.input)) }),
    z.refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'must have at most 3 decimals'),
  )

const conditionFields = shapes.attributeCondition.shape
export const attributeCondition = z
  .strictObject({
    ...conditionFields,
    attribute,
    operator: z.enum(OPERATORS, {
      error: (issue) => `unknown operator ${JSON.stringify(issue.input)}; expected one of ${OPERATORS.join(', ')}`,
    }),
    values: z.array(z.union([z.string().check(z.maxLength(1024)), z.number()])).check(z.maxLength(10_000)),
  })
  // The core says which values an operator can use, so input rules and evaluation never disagree.
  .check(
    z.superRefine((cond, ctx) => {
      const problem = conditionProblem(cond)
      if (problem) ctx.addIssue({ code: 'custom', path: ['values'], message: `${cond.operator}: ${problem}` })
    }),
  )

const segmentCondition = z.strictObject({ ...shapes.segmentCondition.shape, segment: envKey })

export const condition = z.union([segmentCondition, attributeCondition])

const bucketingText = z.string().check(z.maxLength(256))
const bucketingName = z.string().check(z.minLength(1), z.maxLength(256))
const BUCKET_RANGE = 'must be an integer from 0 to 99999'

/**
 * A cohort's bucketing mode (sdk/core/bucketing-modes.ts): one strict shape per mode (bounds,
 * unknown fields refused, each field named in the 400; the OpenAPI document shows them), then
 * the core's `bucketingProblem`, the rule the SDKs compile with, so nothing is stored that an SDK
 * would refuse. An unknown mode is refused in the core's words.
 */
export const bucketing = z
  .discriminatedUnion(
    'mode',
    [
      z.strictObject({ ...shapes.unleashBucketing.shape, groupId: bucketingText, stickiness: bucketingName }),
      z.strictObject({
        ...shapes.launchDarklyBucketing.shape,
        flagKey: bucketingName,
        salt: bucketingText,
        attribute: bucketingName,
        seed: z.optional(z.int()),
        offset: z.int({ error: BUCKET_RANGE }).check(z.minimum(0, BUCKET_RANGE), z.maximum(99_999, BUCKET_RANGE)),
      }),
    ],
    { error: (issue) => bucketingProblem(issue.input) ?? 'not a bucketing mode' },
  )
  .check(
    z.superRefine((value, ctx) => {
      const problem = bucketingProblem(value)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value })
    }),
  )

export const cohort = z.strictObject({
  ...shapes.cohort.shape,
  name: z.string().check(z.minLength(1), z.maxLength(64)),
  conditions: z._default(z.array(condition).check(z.maxLength(50)), []),
  rollout,
  bucketing: z.optional(bucketing),
})

export const cohorts = z.array(cohort).check(
  z.maxLength(100),
  z.superRefine((list, ctx) => {
    const seen = new Set<string>()
    list.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate cohort name ${c.name}` })
      seen.add(c.name)
    })
  }),
)

const version = z.int().check(z.minimum(0))

/** Refuses an update that names no field to change (a version alone changes nothing). */
const somethingToChange = <T extends Record<string, unknown>>(update: T) =>
  Object.entries(update).some(([field, value]) => field !== 'version' && value !== undefined)
const NOTHING_TO_CHANGE = 'nothing to change: name at least one field to update'

/**
 * Flags and states come in pages of at most this many (the default: lists up to this size come
 * whole). A page of 1,000 flags is about 0.4 MB of JSON, built in a few milliseconds, so one
 * request never holds the event loop long however many flags there are.
 */
export const PAGE_LIMIT = 1000

/** `?limit=&cursor=` of a keyset-paged list; `after` is the key the cursor carries. */
const pageQuery = z.pipe(
  z.strictObject({
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(PAGE_LIMIT)), PAGE_LIMIT),
    cursor: z.optional(
      z.pipe(
        z.string(),
        z.transform((cursor, ctx) => {
          const key = decodeCursor(cursor, (k) => FLAG_KEY.test(k))
          if (key === undefined)
            ctx.issues.push({
              code: 'custom',
              input: cursor,
              message: 'not a cursor this server handed out: pass the previous page\'s nextCursor as it came',
            })
          return key
        }),
      ),
    ),
  }),
  z.transform(({ limit, cursor }) => ({ limit, after: cursor })),
)

/**
 * A webhook URL: http(s) only, and no `user:password@` (deliveries are signed instead, and a
 * password in a URL travels into proxies' logs). Where it may connect is decided at delivery,
 * after DNS (server/outbound/), since a name can point anywhere later.
 */
const webhookUrl = z
  .string()
  .check(
    z.maxLength(2000),
    z.refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL'),
    z.refine(
      (u) => !URL.canParse(u) || (new URL(u).username === '' && new URL(u).password === ''),
      'must not contain a user name or password: every delivery is signed (README "Verifying webhook signatures")',
    ),
  )

const seconds = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max))
const MONTH_SECONDS = 30 * 24 * 3600

/**
 * `latency` in `PUT …/guard`: the bound must be one of the histogram's bounds (the slow count is
 * exact only there), and at least one limit must be set (a bound alone would test nothing).
 */
const latencySettings = z
  .strictObject({
    slowerThanMs: z.number().check(
      z.refine((ms) => (DURATION_BOUNDS as readonly number[]).includes(ms), `must be one of the duration bounds ${DURATION_BOUNDS.join(', ')} (ms)`),
    ),
    maxSlowRate: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
    maxSlowRatioToControl: z.optional(z.number().check(z.gt(1), z.maximum(1000))),
  })
  .check(
    z.refine((l) => l.maxSlowRate !== undefined || l.maxSlowRatioToControl !== undefined, {
      message: 'set maxSlowRate, maxSlowRatioToControl or both',
    }),
  )

/** `PUT …/guard`: the guard settings (api-shapes/guard.ts) with their bounds. */
const guardSettings = z.strictObject({
  ...shapes.guardSettings.shape,
  maxErrorRate: z.number().check(z.minimum(0), z.maximum(1)),
  /** Optional floor of canary exposures before any trip; the tests need no minimum. */
  minExposures: z.optional(z.int().check(z.minimum(0), z.maximum(100_000_000))),
  /** The span of the recent figures shown beside the statistics (not the test). */
  windowSeconds: z.optional(seconds(10, 600)),
  maxRatioToControl: z.optional(z.number().check(z.gt(1), z.maximum(1000))),
  latency: z.optional(latencySettings),
  webhookUrl: z.optional(webhookUrl),
  version: z.optional(version),
})

/** `PUT …/plan`: what a person chooses of a plan (api-shapes/plan.ts); the planner fills the rest. */
const chosen = z.pick(shapes.plan, { cohort: true, steps: true, intervalSeconds: true, maxWaitSeconds: true }).shape
const planRequest = z
  .strictObject({
    ...chosen,
    cohort: z.string().check(z.minLength(1), z.maxLength(64)),
    steps: z.array(rollout).check(z.minLength(2), z.maxLength(20)),
    intervalSeconds: seconds(1, MONTH_SECONDS),
    /** How long a due step may wait for evidence before the plan holds and calls the webhook. */
    maxWaitSeconds: z.optional(seconds(1, MONTH_SECONDS)),
    /** Needed to replace a plan that is active, paused or held (otherwise 409). */
    replace: z.optional(z.boolean()),
    version: z.optional(version),
  })
  .check(
    z.refine((p) => p.steps.every((s, i) => i === 0 || s > p.steps[i - 1]!), {
      path: ['steps'],
      message: 'must be strictly increasing',
    }),
  )

const description = z.string().check(z.maxLength(2000))
const tags = z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(50))

/** An email as people type it: one @, no spaces, at most 254 characters (RFC 5321's path limit). */
const email = z.string().check(z.trim(), z.maxLength(254), z.regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address like alice@example.com'))
const personName = z.string().check(z.trim(), z.minLength(1), z.maxLength(128))
/** Length is checked where the password is hashed (auth/password.ts), with the rule's wording. */
const password = z.string()
const roles = z
  .array(z.strictObject({ environment: z.union([z.literal('*'), envKey]), role: shapes.role }))
  .check(z.maxLength(1000))

export const schemas = {
  /** `POST /api/v1/session`: password sign-in. */
  signIn: z.strictObject({ email, password }),
  /** `POST /api/v1/session/password`: a person changes their own password (the new one's length is checked where it is hashed). */
  changePassword: z.strictObject({ currentPassword: password, newPassword: password }),
  /** `POST /api/v1/members`: a person, their roles, and optionally a first password. */
  createMember: z.strictObject({
    email,
    name: personName,
    admin: z.optional(z.boolean()),
    roles: z.optional(roles),
    password: z.optional(password),
  }),
  /** `PATCH /api/v1/members/:id`: what to change (roles replace the whole list). */
  updateMember: z.strictObject({
    name: z.optional(personName),
    admin: z.optional(z.boolean()),
    roles: z.optional(roles),
    password: z.optional(password),
  }),
  /** `POST /api/v1/tokens`: a personal token's name. */
  createToken: z.strictObject({ name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)) }),
  /** `POST /api/v1/stream-tickets`: the environment the socket will watch. */
  streamTicket: z.strictObject({ environment: envKey }),
  guard: guardSettings,
  /** `POST …/guard/webhook-secret`: how long the replaced secret keeps signing (default a day, at most a week). */
  webhookSecret: z.strictObject({ overlapSeconds: z.optional(seconds(0, 7 * 24 * 3600)) }),
  plan: planRequest,
  /** The batch is validated by server/guard/metrics-batch.ts, the one check for every transport. */
  metrics: z.strictObject({
    batch: z.unknown(),
    /** Client keys: the user the browser reports for (the server evaluates it to pick the arm). */
    user: z.optional(z.record(z.string(), z.unknown())),
  }),
  /** `span` (15m, 1h, 6h, 24h) or, as before, `hours`; `span` wins when both are given. */
  metricsQuery: z.strictObject({
    hours: z._default(z.coerce.number().check(z.minimum(0.1), z.maximum(24 * 7)), 3),
    span: z.optional(shapes.metricSpan),
  }),
  createEnvironment: z.strictObject({ key: envKey, name: z.optional(z.string().check(z.minLength(1), z.maxLength(128))) }),
  createFlag: z.strictObject({
    key: flagKey,
    description: z._default(description, ''),
    tags: z._default(tags, []),
    /** Visible to client (browser) keys; new flags are not. */
    clientSide: z._default(z.boolean(), false),
  }),
  updateFlag: z
    .strictObject({
      description: z.optional(description),
      tags: z.optional(tags),
      clientSide: z.optional(z.boolean()),
    })
    .check(z.refine(somethingToChange, NOTHING_TO_CHANGE)),
  /** Partial update of a state; `version` (or If-Match) guards against lost updates. */
  patchState: z
    .strictObject({
      enabled: z.optional(z.boolean()),
      stickiness: z.optional(attribute),
      cohorts: z.optional(cohorts),
      /** Confirms a change of a cohort's bucketing, which reshuffles its users (409 without it). */
      reshuffle: z.optional(z.boolean()),
      version: z.optional(version),
    })
    .check(z.refine(somethingToChange, NOTHING_TO_CHANGE)),
  setRollout: z.strictObject({ rollout, version: z.optional(version) }),
  /** A segment (api-shapes/segments.ts) with bounds; the store stamps its version. */
  segment: z.strictObject({
    ...shapes.segment.shape,
    key: envKey,
    description: z.optional(description),
    userIds: z._default(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(100_000)), []),
    conditions: z._default(z.array(attributeCondition).check(z.maxLength(50)), []),
    version: z.optional(version),
  }),
  createKey: z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(128)),
    kind: shapes.keyKind,
    environment: z.optional(z.nullable(envKey)),
  }),
  evaluate: z.strictObject({
    flag: flagKey,
    user: z.record(z.string(), z.unknown()),
  }),
  pageQuery,
  /** `PUT /environments/:env/protection`: approvals a change to a flag's state needs there. */
  protection: z.strictObject({ approvals: z.int().check(z.minimum(1), z.maximum(shapes.MAX_APPROVALS)) }),
  /** `GET /change-requests`: newest first, paged by id cursor like the audit log. */
  requestQuery: z.strictObject({
    status: z.optional(shapes.changeRequestStatus),
    env: z.optional(envKey),
    flag: z.optional(flagKey),
    before: z.optional(z.coerce.number().check(z.int(), z.positive())),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500)), 50),
  }),
  /** A change request's id in its path. */
  requestId: z.coerce.number().check(z.int(), z.positive()),
  requestComment: z.strictObject({ text: z.string().check(z.minLength(1), z.maxLength(4000)) }),
  /** Approve or reject, with an optional comment. */
  requestDecision: z.strictObject({ comment: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))) }),
  /** Apply now (no `applyAt`), or schedule it (epoch ms in the future), or clear the schedule (null). */
  requestApply: z.strictObject({ applyAt: z.optional(z.nullable(z.int().check(z.positive()))) }),
  auditQuery: z.strictObject({
    flag: z.optional(flagKey),
    env: z.optional(envKey),
    actor: z.optional(z.string().check(z.minLength(1), z.maxLength(320))),
    before: z.optional(z.coerce.number().check(z.int(), z.positive())),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500)), 50),
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

/**
 * The English messages the API answers with (zod/mini loads no locale of its own, and sets none
 * globally): pass it to every parse whose messages someone reads.
 */
export const english = z.locales.en().localeError

/** Parses `input` or throws a ValidationError whose message names every bad field. */
export function parse<T extends z.core.$ZodType>(schema: T, input: unknown, what = 'body'): z.output<T> {
  const result = z.safeParse(schema, input, { error: english })
  if (result.success) return result.data
  const issues = flatten(result.error.issues as Issue[]).map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : what,
    message: issue.message,
  }))
  throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues })
}
