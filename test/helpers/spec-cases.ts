import { readFileSync } from 'node:fs'
import type { EvalResult, FlagState, Segment, User } from '../../sdk/core/types.ts'

/** One named case of sdk/fixtures/evaluation-cases.json: the same rules, user and answer everywhere. */
export interface SpecCase {
  name: string
  flag: FlagState
  segments?: Segment[]
  user: User
  expected: EvalResult
}

/** The shared evaluation spec, run by the core, the HTTP route and the SDK client tests. */
export const specCases = JSON.parse(
  readFileSync(new URL('../../sdk/fixtures/evaluation-cases.json', import.meta.url), 'utf8'),
) as SpecCase[]
