/**
 * The OFREP bulk answer for a new user each call, in process (no HTTP): `forText` of
 * server/ofrep/bulk-answer.ts with 350 rich flags (bench/scale/seed.ts, as bench/server seeds
 * them) and a new targeting key in the bench's region every time, so every flag is evaluated
 * and every answer is one no one was given before. Prints µs per call for 6 rounds of 4,000.
 *
 * Run: npx tsx bench/server/bulk-new-users.ts        (BULK_FLAGS=350)
 */
import { rulesetFromSnapshot } from '../../sdk/core/ruleset.ts'
import type { FlagState } from '../../sdk/core/types.ts'
import { createBulkAnswers } from '../../server/ofrep/bulk-answer.ts'
import { etagOf } from '../../server/ofrep/evaluate-routes.ts'
import { userFromContext } from '../../server/ofrep/evaluation.ts'
import { flagKey, richCohorts } from '../scale/seed.ts'

const count = Number(process.env.BULK_FLAGS ?? 350)
const flags: FlagState[] = Array.from({ length: count }, (_, i) => ({ key: flagKey(i), enabled: true, salt: flagKey(i), stickiness: 'userId', cohorts: richCohorts(i), version: 1 }))
const ruleset = rulesetFromSnapshot({ environment: 'production', version: 1, flags, segments: [] })
const bulk = createBulkAnswers(etagOf)
const parse = (text: string) => userFromContext((JSON.parse(text) as { context: Record<string, unknown> }).context)
let user = 0
for (let round = 0; round < 6; round++) {
  const calls = 4000
  const started = performance.now()
  for (let i = 0; i < calls; i++) bulk.forText(ruleset, new Set(), `{"context":{"targetingKey":"new-${user++}","region":"eu-west"}}`, 'server', parse)
  console.log(`${(((performance.now() - started) * 1000) / calls).toFixed(1)} µs per new user (${count} flags)`)
}
