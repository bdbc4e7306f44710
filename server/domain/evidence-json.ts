import * as z from 'zod/mini'
import { armCountsFields } from '../../api-shapes/guard.ts'
import { GUARD_RULE_KINDS, type GuardRuleSetting } from '../../api-shapes/guard-rules.ts'

/**
 * The guard's stored evidence of one guarded flag (`guard_evidence` on SQLite and PostgreSQL),
 * as a restarted process, a replica or a new leader reads it back (server/guard/evidence-record.ts):
 * the tests' state (server/guard/decide.ts `EvidenceSnapshot`: each running rule's state under
 * its setting's name, from the rule table, and the counts not yet fed), the recent window's
 * buckets (server/guard/window.ts `WindowBuckets`) and the ten-second rows
 * (server/guard/fine-series.ts). Parsed with `storedJson`, so a row that is not evidence is a
 * StoredDataError, not a cast.
 */

/**
 * A test statistic. JSON has no infinity: a statistic that went infinite (a limit of 0 or 1)
 * was stored as null, which the tests always read back as 0; the parse says so explicitly.
 */
const statistic = z.pipe(
  z.nullable(z.number()),
  z.transform((v) => v ?? 0),
)
/** A change detector's rise (server/guard/rise.ts): kept so a restarted trip still tells when it began. */
const rise = z.object({
  since: z.nullable(z.number()),
  seconds: z.number(),
  canaryTrials: z.number(),
  canaryEvents: z.number(),
  controlTrials: z.number(),
  controlEvents: z.number(),
})
/** States saved before rises were kept have none: rise.ts marks their rises under way as of unknown start. */
const ruleState = z.object({ cumulative: z.array(statistic), change: z.array(statistic), rises: z.optional(z.array(z.nullable(rise))) })

/** One optional state per rule kind, under its setting's name. */
type RuleStates = { [S in GuardRuleSetting]: z.ZodMiniOptional<z.ZodMiniNullable<typeof ruleState>> }
const ruleStates = Object.fromEntries(
  Object.values(GUARD_RULE_KINDS).map((kind) => [kind.setting, z.optional(z.nullable(ruleState))]),
) as RuleStates

/**
 * Counts per arm as stored. Records saved before durations were counted have no `…Timed` and
 * `…Slow`: they read as 0, so an upgrade resumes their tests instead of refusing the row.
 */
const storedCounts = z.object({
  ...armCountsFields,
  canaryTimed: z._default(z.number(), 0),
  canarySlow: z._default(z.number(), 0),
  controlTimed: z._default(z.number(), 0),
  controlSlow: z._default(z.number(), 0),
})

export const sharedEvidenceJson = z.object({
  evidence: z.object({
    settingsKey: z.string(),
    since: z.number(),
    seconds: z.number(),
    totals: storedCounts,
    /** Counts that arrived after the last second fed to the tests (saved at shutdown, fed after the restart). */
    pending: z.optional(storedCounts),
    plan: z.nullable(
      z.object({
        id: z.string(),
        step: z.number(),
        since: z.number(),
        totals: storedCounts,
        /** The error-rate rule's plan test; `others`: the other absolute rules' (latency), by setting. */
        test: ruleState,
        others: z.optional(z.partialRecord(z.enum(Object.values(GUARD_RULE_KINDS).map((k) => k.setting) as [GuardRuleSetting, ...GuardRuleSetting[]]), ruleState)),
      }),
    ),
    ...ruleStates,
  }),
  /** `[second, ...counters]`, counters in sdk/core/metrics.ts `COUNTERS` order. */
  recent: z.array(z.tuple([z.number()], z.number())),
  /** Ten-second rows: `last` is `[since, ...counters]`, each row `[start, ...counters]` (COUNTERS order). */
  fine: z.optional(
    z.object({
      last: z.nullable(z.tuple([z.number()], z.number())),
      rows: z.array(z.tuple([z.number()], z.number())),
    }),
  ),
})
