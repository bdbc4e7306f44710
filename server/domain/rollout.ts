import type { Cohort } from '../../sdk/core/types.ts'
import { NotFoundError } from '../errors.ts'

/** The cohorts with one cohort's rollout replaced; 404 when the flag has no such cohort. */
export function withRollout(
  state: { key: string; environment: string; cohorts: Cohort[] },
  cohortName: string,
  rollout: number,
): Cohort[] {
  if (!state.cohorts.some((c) => c.name === cohortName))
    throw new NotFoundError(`cohort ${cohortName} of flag ${state.key} in ${state.environment}`)
  return state.cohorts.map((c) => (c.name === cohortName ? { ...c, rollout } : c))
}
