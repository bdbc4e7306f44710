import type { Cohort, Segment } from '../../sdk/core/types.ts'

/** Default bound of one environment's rules (every flag's cohorts plus its segments), in bytes of JSON. */
export const DEFAULT_MAX_RULES_BYTES = 16 * 1024 * 1024

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value))

/**
 * Why a write would take an environment's rules over `limit` bytes (as JSON: what every server
 * SDK receives in a snapshot and the database keeps), or undefined when it stays within. The
 * written flag's cohorts or segment replace the stored ones in the sum.
 */
export function rulesSizeProblem(input: {
  environment: string
  flags: ReadonlyArray<{ key: string; cohorts: Cohort[] }>
  segments: readonly Segment[]
  write: { flag: string; cohorts: Cohort[] } | { segment: Segment }
  limit: number
}): string | undefined {
  const { write } = input
  let total = 0
  for (const flag of input.flags) total += 'flag' in write && flag.key === write.flag ? 0 : bytes(flag.cohorts)
  for (const segment of input.segments) total += 'segment' in write && segment.key === write.segment.key ? 0 : bytes(segment)
  total += 'flag' in write ? bytes(write.cohorts) : bytes(write.segment)
  if (total <= input.limit) return undefined
  return `the rules of environment ${input.environment} would be ${total} bytes, over its limit of ${input.limit} (CANARY_MAX_RULES_BYTES)`
}
