import { ConflictError, NotFoundError, ValidationError } from '../errors.ts'
import { withRollout } from '../domain/rollout.ts'
import type { StateWriter } from './state-writer.ts'
import type { AppliedApproval, Store, StoredFlagState } from '../store/contract.ts'
import type { PlanFigures } from './decide.ts'
import type { GuardService } from './guard-service.ts'
import { DEFAULT_MAX_WAIT_SECONDS, LIVE_PLAN_STATUSES, planPath, previewPlan, type PlanPreview, type RolloutPlan } from '../domain/plan.ts'

const ACTOR = 'rollout-plan'

type PlanInput = { cohort: string; steps: number[]; intervalSeconds: number; maxWaitSeconds?: number | undefined }
/** `approval`: the change request this write applies (see StateUpdate.approval in the store contract). */
type ActorOptions = { actor: string; expectedVersion?: number | undefined; approval?: AppliedApproval | undefined }

/** Where a plan stands, for the API, the CLI and the console. */
export interface PlanProgress {
  /** The plan itself (null when there is none). */
  plan: RolloutPlan | null
  /**
   * What an active plan waits for now: the interval, evidence that the rate is below the limit
   * (due, not yet shown), or the flag to be turned on (a plan never widens a flag that is off).
   */
  waitingFor: 'interval' | 'evidence' | 'flag_on' | null
  /** Active, due, and its step's test has not yet shown the rate below the limit. */
  waitingForEvidence: boolean
  /** When the plan holds if the evidence does not come (epoch ms), while waiting. */
  holdsAt: number | null
  /** The current step's evidence (counts since it began, the test, proven or not). */
  evidence: PlanFigures | null
}

function requirePlan(state: StoredFlagState): RolloutPlan {
  const plan = state.plan
  if (!plan) throw new ConflictError(`flag ${state.key} in ${state.environment} has no rollout plan`)
  return plan
}

function preview(state: StoredFlagState, input: PlanInput): PlanPreview {
  const cohort = state.cohorts.find((c) => c.name === input.cohort)
  if (!cohort) throw new NotFoundError(`cohort ${input.cohort} of flag ${state.key} in ${state.environment}`)
  return previewPlan(cohort.rollout, input.cohort, input.steps, state.plan, input.intervalSeconds)
}

function resumable(state: StoredFlagState): RolloutPlan {
  const plan = requirePlan(state)
  if (plan.status !== 'paused' && plan.status !== 'held') throw new ConflictError(`the plan is ${plan.status}, not paused or held`)
  return plan
}

/**
 * The plan `start` would set, or its refusal: the flag needs a guard, a live plan is replaced
 * only when asked, and a plan never narrows its cohort.
 */
function planned(state: StoredFlagState, input: PlanInput & { replace?: boolean | undefined }, at: number) {
  if (!state.guard) throw new ValidationError('guard: set a guard on this flag before starting a rollout plan')
  const p = preview(state, input)
  if (p.replaces && !input.replace)
    throw new ConflictError(
      `flag ${state.key} in ${state.environment} already has a plan on cohort ${p.replaces.cohort} (${p.replaces.status}); send replace: true to replace it`,
      { plan: p.replaces },
    )
  if (p.steps.length === 0)
    throw new ValidationError(`steps: every step is at or below cohort ${p.cohort}'s current rollout (${p.from}%); a plan never narrows a cohort`)
  return { plan: planFrom(input, p, at), action: p.replaces ? 'plan.replace' : 'plan.start', p }
}

/**
 * Rollout plans: widen one cohort through its steps, one per interval, and only when the guard's
 * plan test since the step began shows the canary's error rate is below the limit. A due step
 * without that evidence waits (said in the API with figures), and after `maxWaitSeconds` the
 * plan holds and calls the guard's webhook instead of waiting silently. Plans live in the flag
 * state, so a restart picks them up; `tick` is driven by a timer in main.
 */
export function createRolloutPlanner(deps: { store: Store; service: StateWriter; guard: GuardService; now: () => number }) {
  const { store, service, guard, now } = deps

  /** `because`: what allowed a widening (the step's evidence, or a start from 0%), in its audit entry. */
  function setPlan(
    state: StoredFlagState,
    action: string,
    plan: RolloutPlan | null,
    options: ActorOptions & { rollout?: number; because?: Record<string, unknown> },
  ): Promise<StoredFlagState> {
    return service.applyState(state.environment, state.key, {
      actor: options.actor,
      action,
      expectedVersion: options.expectedVersion,
      approval: options.approval,
      details: plan && { cohort: plan.cohort, step: plan.step, rollout: plan.steps[plan.step], status: plan.status, note: plan.note, ...options.because },
      update: (current) => ({
        plan,
        ...(options.rollout !== undefined && plan ? { cohorts: withRollout(current, plan.cohort, options.rollout) } : {}),
      }),
    })
  }

  const maxWaitMs = (plan: RolloutPlan) => (plan.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) * 1000

  function progress(state: StoredFlagState): PlanProgress {
    const plan = state.plan
    const evidence = guard.status(state).plan
    const active = plan?.status === 'active' && plan.nextAt !== null
    const due = active && now() >= plan.nextAt!
    const waiting = due && state.enabled && !evidence?.proven
    const waitingFor = !active ? null : !state.enabled ? 'flag_on' : !due ? 'interval' : waiting ? 'evidence' : null
    return { plan, waitingFor, waitingForEvidence: waiting, holdsAt: waiting ? plan!.nextAt! + maxWaitMs(plan!) : null, evidence }
  }

  /** Takes the next step of one due plan, waits without writing, or holds after the maximum wait. */
  async function advance(state: StoredFlagState, plan: RolloutPlan, at: number): Promise<void> {
    const evidence = guard.status(state).plan
    if (!evidence?.proven) {
      if (at < plan.nextAt! + maxWaitMs(plan)) return
      const note = heldNote(plan, evidence)
      const held = await setPlan(state, 'plan.hold', { ...plan, status: 'held', nextAt: null, note }, { actor: ACTOR, expectedVersion: state.version })
      guard.notify({ url: state.guard?.webhookUrl, environment: state.environment, flag: state.key }, {
        type: 'plan.hold',
        flag: state.key,
        environment: state.environment,
        version: held.version,
        plan: held.plan,
        evidence,
      })
      return
    }
    const step = plan.step + 1
    const last = step === plan.steps.length - 1
    const next: RolloutPlan = { ...plan, step, status: last ? 'completed' : 'active', nextAt: last ? null : at + plan.intervalSeconds * 1000, note: null }
    // Against the version read: a step is taken once, even if a replica that just lost the
    // guard leadership is still finishing its tick. The audit entry carries the evidence that allowed it.
    await setPlan(state, 'plan.step', next, { actor: ACTOR, rollout: plan.steps[step]!, expectedVersion: state.version, because: { evidence } })
  }

  return {
    /** What `start` would do with this input: the steps that will run and those skipped. */
    async preview(env: string, key: string, input: PlanInput): Promise<PlanPreview> {
      return preview(await store.flags.getState(env, key), input)
    },

    /**
     * Starts a plan from the cohort's current rollout. Never narrows it (steps at or below it are
     * skipped) and never widens it on nothing: the first step above it is due one interval later
     * and taken, like every later step, only when the plan's test since the start shows the
     * canary under its limit. Only a cohort at 0% (no canary to measure) goes to the first step
     * at once. A live plan (active, paused or held) is replaced only when asked (`replace`),
     * otherwise 409. The flag needs a guard: the guard's evidence is what lets a plan advance.
     */
    async start(env: string, key: string, input: PlanInput & { replace?: boolean | undefined }, options: ActorOptions): Promise<StoredFlagState> {
      const state = await store.flags.getState(env, key)
      const { plan, action, p } = planned(state, input, now())
      if (!p.widensNow) return setPlan(state, action, plan, options)
      // From 0% there is no canary whose evidence could be waited for: the first step is the start.
      return setPlan(state, action, plan, { ...options, rollout: p.startsAt, because: { widenedAtStart: `the cohort was at 0%: no canary to measure` } })
    },

    /** The refusals of `start` (400/404/409), without starting: a change request checks its plan when proposed. */
    async check(env: string, key: string, input: PlanInput & { replace?: boolean | undefined }): Promise<void> {
      planned(await store.flags.getState(env, key), input, now())
    },

    /** The refusals of `resume` (409 unless paused or held), without resuming. */
    checkResume(state: StoredFlagState): void {
      resumable(state)
    },

    async pause(env: string, key: string, options: ActorOptions): Promise<StoredFlagState> {
      const state = await store.flags.getState(env, key)
      const plan = requirePlan(state)
      if (plan.status !== 'active') throw new ConflictError(`the plan is ${plan.status}, not active`)
      return setPlan(state, 'plan.pause', { ...plan, status: 'paused', nextAt: null }, options)
    },

    /** Resumes a paused or held plan; the next step is due one full interval from now. */
    async resume(env: string, key: string, options: ActorOptions): Promise<StoredFlagState> {
      const state = await store.flags.getState(env, key)
      const plan = resumable(state)
      const nextAt = now() + plan.intervalSeconds * 1000
      return setPlan(state, 'plan.resume', { ...plan, status: 'active', nextAt, note: null }, options)
    },

    /** Cancels a plan; the cohort keeps the rollout it reached. */
    async cancel(env: string, key: string, options: ActorOptions): Promise<StoredFlagState> {
      const state = await store.flags.getState(env, key)
      const plan = requirePlan(state)
      if (!LIVE_PLAN_STATUSES.has(plan.status)) throw new ConflictError(`the plan is already ${plan.status}`)
      return setPlan(state, 'plan.cancel', { ...plan, status: 'cancelled', nextAt: null }, options)
    },

    progress,

    /** Advances every due, active plan whose flag is on and shown healthy. */
    async tick(): Promise<void> {
      const at = now()
      for (const state of await store.flags.listPlanned()) {
        const plan = state.plan
        if (plan?.status === 'active' && plan.nextAt !== null && at >= plan.nextAt && state.enabled)
          await advance(state, plan, at).catch((error: unknown) => {
            // The state moved on since it was read (a person, or another replica): next tick re-reads it.
            if (!(error instanceof ConflictError)) throw error
          })
      }
    },
  }
}

export type RolloutPlanner = ReturnType<typeof createRolloutPlanner>

/** Why a plan holds after its maximum wait, with the figures of the step that never showed "below". */
function heldNote(plan: RolloutPlan, evidence: PlanFigures | null | undefined): string {
  const slowToo = evidence?.waitingOn.includes('max_slow_rate') ?? false
  return (
    `held: no evidence that ${slowToo ? 'every rule (errors, slow requests) is' : 'the error rate is'} ` +
    `below the limit after waiting ${plan.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS} s ` +
    `(${evidence?.canaryErrors ?? 0} errors in ${evidence?.canaryExposures ?? 0} canary exposures this step` +
    `${slowToo && evidence ? `, ${evidence.canarySlow} slow of ${evidence.canaryTimed} timed` : ''})`
  )
}

/** A new plan as its preview describes it: at its first step, the next one due an interval from `at`. */
function planFrom(input: PlanInput, p: PlanPreview, at: number): RolloutPlan {
  const steps = planPath(p)
  return {
    cohort: input.cohort,
    steps,
    skipped: p.skipped,
    intervalSeconds: input.intervalSeconds,
    ...(input.maxWaitSeconds === undefined ? {} : { maxWaitSeconds: input.maxWaitSeconds }),
    step: 0,
    status: steps.length === 1 ? 'completed' : 'active',
    nextAt: steps.length === 1 ? null : at + input.intervalSeconds * 1000,
    note: p.summary,
    startedAt: at,
  }
}
