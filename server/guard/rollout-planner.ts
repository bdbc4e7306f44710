import { ConflictError, ValidationError } from '../errors.ts'
import { withRollout, type FlagService } from '../services/flag-service.ts'
import type { StoredFlagState } from '../store/flag-store.ts'
import type { Store } from '../store/store.ts'
import { healthyEnoughToWiden } from './decide.ts'
import type { GuardService } from './guard-service.ts'
import { guardOf } from './guard-state.ts'
import { planOf, type RolloutPlan } from './plan.ts'

const ACTOR = 'rollout-plan'

/**
 * Rollout plans: widen one cohort through its steps, one per interval, only while the guard has
 * enough canary data and a healthy rate. Plans live in the flag state (SQLite), so a restart
 * picks them up where they were; `tick` is driven by a timer in main.
 */
export function createRolloutPlanner(deps: { store: Store; service: FlagService; guard: GuardService; now: () => number }) {
  const { store, service, guard, now } = deps

  function setPlan(
    state: StoredFlagState,
    action: string,
    plan: RolloutPlan | null,
    options: { actor: string; expectedVersion?: number | undefined; rollout?: number },
  ): StoredFlagState {
    return service.applyState(state.environment, state.key, {
      actor: options.actor,
      action,
      expectedVersion: options.expectedVersion,
      details: plan && { cohort: plan.cohort, step: plan.step, rollout: plan.steps[plan.step], status: plan.status },
      update: (current) => ({
        plan,
        ...(options.rollout !== undefined && plan ? { cohorts: withRollout(current, plan.cohort, options.rollout) } : {}),
      }),
    })
  }

  function requirePlan(state: StoredFlagState): RolloutPlan {
    const plan = planOf(state.plan)
    if (!plan) throw new ConflictError(`flag ${state.key} in ${state.environment} has no rollout plan`)
    return plan
  }

  /** Takes the next step of one due plan, or waits (without writing) when the guard is not sure. */
  function advance(state: StoredFlagState, plan: RolloutPlan, at: number) {
    const settings = guardOf(state)
    const status = guard.status(state)
    if (!settings || !status.decision || !healthyEnoughToWiden(settings, status.decision)) return
    const step = plan.step + 1
    const last = step === plan.steps.length - 1
    const next: RolloutPlan = {
      ...plan,
      step,
      status: last ? 'completed' : 'active',
      nextAt: last ? null : at + plan.intervalSeconds * 1000,
      note: null,
    }
    setPlan(state, 'plan.step', next, { actor: ACTOR, rollout: plan.steps[step]! })
  }

  return {
    /**
     * Starts a plan: the cohort goes to the first step now, the next step is due one interval
     * later. The flag needs a guard, since the guard's health is what lets a plan advance.
     */
    start(
      env: string,
      key: string,
      input: { cohort: string; steps: number[]; intervalSeconds: number },
      options: { actor: string; expectedVersion?: number | undefined },
    ): StoredFlagState {
      const state = store.flags.getState(env, key)
      if (!guardOf(state)) throw new ValidationError('guard: set a guard on this flag before starting a rollout plan')
      withRollout(state, input.cohort, 0) // 404 for an unknown cohort before anything changes
      const plan: RolloutPlan = {
        ...input,
        step: 0,
        status: 'active',
        nextAt: now() + input.intervalSeconds * 1000,
        note: null,
        startedAt: now(),
      }
      return setPlan(state, 'plan.start', plan, { ...options, rollout: input.steps[0]! })
    },

    pause(env: string, key: string, options: { actor: string; expectedVersion?: number | undefined }): StoredFlagState {
      const state = store.flags.getState(env, key)
      const plan = requirePlan(state)
      if (plan.status !== 'active') throw new ConflictError(`the plan is ${plan.status}, not active`)
      return setPlan(state, 'plan.pause', { ...plan, status: 'paused', nextAt: null }, options)
    },

    /** Resumes a paused plan; the next step is due one full interval from now. */
    resume(env: string, key: string, options: { actor: string; expectedVersion?: number | undefined }): StoredFlagState {
      const state = store.flags.getState(env, key)
      const plan = requirePlan(state)
      if (plan.status !== 'paused') throw new ConflictError(`the plan is ${plan.status}, not paused`)
      const nextAt = now() + plan.intervalSeconds * 1000
      return setPlan(state, 'plan.resume', { ...plan, status: 'active', nextAt, note: null }, options)
    },

    /** Cancels a plan; the cohort keeps the rollout it reached. */
    cancel(env: string, key: string, options: { actor: string; expectedVersion?: number | undefined }): StoredFlagState {
      const state = store.flags.getState(env, key)
      const plan = requirePlan(state)
      return setPlan(state, 'plan.cancel', { ...plan, status: 'cancelled', nextAt: null }, options)
    },

    /** Advances every due, active plan whose flag is on and healthy. */
    tick(): void {
      const at = now()
      for (const state of store.flags.listPlanned()) {
        const plan = planOf(state.plan)
        if (plan?.status === 'active' && plan.nextAt !== null && at >= plan.nextAt && state.enabled)
          advance(state, plan, at)
      }
    },
  }
}

export type RolloutPlanner = ReturnType<typeof createRolloutPlanner>
