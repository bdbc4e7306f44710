import type { ChangeRequest, ProposedChange } from '../api-shapes/change-requests.ts'
import { changedFields } from './domain/changed-fields.ts'
import { withRollout } from './domain/rollout.ts'
import type { RolloutPlanner } from './guard/rollout-planner.ts'
import type { ChangeRequestDeps } from './services/change-requests.ts'
import type { FlagService, WriteOptions } from './services/flag-service.ts'
import type { StatePatch, StoredFlagState } from './store/contract.ts'

/**
 * A held write, kind by kind, through the same code as the direct write it stands for: what it
 * would change (with the direct write's checks) and how it is applied. Wiring, because it needs
 * both the flag service and the rollout planner, which sit side by side in the logic layer.
 */
export function proposals({ service, planner }: { service: FlagService; planner: RolloutPlanner }): Pick<ChangeRequestDeps, 'preview' | 'apply'> {
  /** The fields `change` would change on `current` (empty: nothing), after the direct write's checks. */
  async function preview(current: StoredFlagState, change: ProposedChange): Promise<object> {
    const { environment: env, key } = current
    switch (change.kind) {
      case 'state': {
        const { kind: _kind, ...update } = change
        await service.checkState(env, key, update)
        return changedFields<StatePatch>(current, update)
      }
      case 'rollout':
        return changedFields<StatePatch>(current, { cohorts: withRollout(current, change.cohort, change.rollout) })
      case 'guard':
        return changedFields<StatePatch>(current, { guard: { ...change.settings, lastTrip: current.guard?.lastTrip ?? null } })
      case 'guard_remove':
        return current.guard === null ? {} : { guard: null }
      case 'plan':
        await planner.check(env, key, change.plan)
        return { plan: change.plan }
      case 'plan_resume':
        planner.checkResume(current)
        return { plan: { ...current.plan, status: 'active' } }
    }
  }

  function apply(request: ChangeRequest, options: WriteOptions): Promise<StoredFlagState> {
    const { environment: env, flag: key, change } = request
    switch (change.kind) {
      case 'state': {
        const { kind: _kind, ...update } = change
        return service.updateState(env, key, update, options).then((written) => written.state)
      }
      case 'rollout':
        return service.setRollout(env, key, change.cohort, change.rollout, options)
      case 'guard':
        return service.setGuard(env, key, change.settings, options)
      case 'guard_remove':
        return service.removeGuard(env, key, options)
      case 'plan':
        return planner.start(env, key, change.plan, options)
      case 'plan_resume':
        return planner.resume(env, key, options)
    }
  }

  return { preview, apply }
}
