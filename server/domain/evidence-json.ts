import * as z from 'zod/mini'
import { armCountsShape } from '../../api-shapes/guard.ts'
import { GUARD_RULE_KINDS, type GuardRuleSetting } from '../../api-shapes/guard-rules.ts'

/**
 * The guard leader's stored evidence of one guarded flag (PostgreSQL `guard_evidence`), as a
 * replica or a new leader reads it back: the tests' state (server/guard/decide.ts
 * `EvidenceSnapshot`: each running rule's state under its setting's name, from the rule table)
 * and the recent window's buckets (server/guard/window.ts `WindowBuckets`). Parsed with
 * `storedJson`, so a row that is not evidence is a StoredDataError, not a cast.
 */

/**
 * A test statistic. JSON has no infinity: a statistic that went infinite (a limit of 0 or 1)
 * was stored as null, which the tests always read back as 0; the parse says so explicitly.
 */
const statistic = z.pipe(
  z.nullable(z.number()),
  z.transform((v) => v ?? 0),
)
const ruleState = z.object({ cumulative: z.array(statistic), change: z.array(statistic) })

/** One optional state per rule kind, under its setting's name. */
type RuleStates = { [S in GuardRuleSetting]: z.ZodMiniOptional<z.ZodMiniNullable<typeof ruleState>> }
const ruleStates = Object.fromEntries(
  Object.values(GUARD_RULE_KINDS).map((kind) => [kind.setting, z.optional(z.nullable(ruleState))]),
) as RuleStates

export const sharedEvidenceJson = z.object({
  evidence: z.object({
    settingsKey: z.string(),
    since: z.number(),
    seconds: z.number(),
    totals: armCountsShape,
    plan: z.nullable(z.object({ id: z.string(), step: z.number(), since: z.number(), totals: armCountsShape, test: ruleState })),
    ...ruleStates,
  }),
  /** `[second, ...counters]`, counters in sdk/core/metrics.ts `COUNTERS` order. */
  recent: z.array(z.tuple([z.number()], z.number())),
})
