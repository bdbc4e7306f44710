import { conditionsText } from '../../../api-shapes/audience.ts'
import type { Cohort } from '../api/types.ts'
import { formatPercent } from './format.ts'

/** `region in [eu-west] · 5%`, `everyone · 1%`: conditions in the one wording (api-shapes/audience.ts). */
export function describeCohort(cohort: Pick<Cohort, 'conditions' | 'rollout'>): string {
  return `${conditionsText(cohort.conditions)} · ${formatPercent(cohort.rollout)}`
}
