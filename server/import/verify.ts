import { compileFlag, toSegmentMap } from '../../sdk/core/index.ts'
import type { User } from '../../sdk/core/types.ts'
import type { ImportPlan, MapStatus } from './import-plan.ts'

/**
 * `canary verify`'s comparison: every imported flag for every user, by the source's official SDK
 * (`source`) and by this project's core on the imported flags, and where they disagree. Pure:
 * the caller brings the source's answers.
 */

export interface FlagDisagreement {
  key: string
  status: MapStatus
  /** Users for whom the two answers differ. */
  count: number
  /** A few of them, with both answers. */
  examples: Array<{ user: User; source: boolean; here: boolean }>
}

export interface VerifyResult {
  users: number
  /** Flags compared (those the import maps). */
  flags: number
  /** Flags the import cannot map: not compared. */
  skipped: string[]
  disagreements: FlagDisagreement[]
}

const EXAMPLES = 3

/** Evaluates the plan's flags here, as they are stored after the import. */
export function planEvaluator(plan: ImportPlan): (user: User) => Map<string, boolean> {
  const segments = toSegmentMap(plan.segments.map((s) => ({ ...s, version: 1 })))
  const compiled = plan.flags.map((f) =>
    compileFlag({ key: f.key, enabled: f.enabled, salt: f.key, stickiness: 'userId', cohorts: f.cohorts, version: 1 }, segments),
  )
  return (user) => new Map(compiled.map((c) => [c.key, c.evaluate(user).enabled]))
}

/**
 * @example
 * const result = await compareAll(plan, users, (user) => sourceAnswers(user))
 * result.disagreements // [] when every user gets the same answer
 */
export async function compareAll(
  plan: ImportPlan,
  users: readonly User[],
  source: (user: User) => Promise<ReadonlyMap<string, boolean>> | ReadonlyMap<string, boolean>,
): Promise<VerifyResult> {
  const here = planEvaluator(plan)
  const status = new Map(plan.report.map((r) => [r.key, r.status]))
  const found = new Map<string, FlagDisagreement>()
  for (const user of users) {
    const theirs = await source(user)
    for (const [key, ours] of here(user)) {
      const answer = theirs.get(key) === true
      if (answer === ours) continue
      let d = found.get(key)
      if (d === undefined) found.set(key, (d = { key, status: status.get(key) ?? 'exact', count: 0, examples: [] }))
      d.count++
      if (d.examples.length < EXAMPLES) d.examples.push({ user, source: answer, here: ours })
    }
  }
  return {
    users: users.length,
    flags: plan.flags.length,
    skipped: plan.report.filter((r) => r.status === 'cannot_map').map((r) => r.key),
    disagreements: [...found.values()],
  }
}
