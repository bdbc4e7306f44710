import type { Change } from '../../sdk/core/changes.ts'
import { cohortsCostProblem, patternSize } from '../../sdk/core/index.ts'
import type { Cohort, Segment } from '../../sdk/core/types.ts'
import { ConflictError, ValidationError } from '../errors.ts'
import { withRollout } from '../domain/rollout.ts'
import { changedFields } from '../domain/changed-fields.ts'
import { checkApprovalsCount } from '../domain/change-requests.ts'
import { reshuffleWarning, reshuffles } from '../../api-shapes/bucketing-words.ts'
import { segmentRefs, usesSegment } from '../domain/segment-use.ts'
import { DEFAULT_MAX_RULES_BYTES, rulesSizeProblem } from '../domain/rules-size.ts'
import type { AppliedApproval, DefinitionPatch, EnvChange, SegmentInput, StatePatch, Store, StoredFlagState } from '../store/contract.ts'
import { tripHolds, type GuardSettings } from '../../api-shapes/guard.ts'
import type { Hub } from '../live/hub.ts'

export interface StateUpdate {
  enabled?: boolean | undefined
  stickiness?: string | undefined
  cohorts?: Cohort[] | undefined
  /** Confirms that cohorts whose bucketing changes reshuffle their users (see bucketing-change.ts). */
  reshuffle?: boolean | undefined
}

/**
 * Thrown inside the store's transaction when an update asks for the values the state already
 * holds: the transaction rolls back (no version, audit row or stream message) and `updateState`
 * answers the current state with `changed: false`.
 */
class AlreadyHeld extends Error {
  constructor(readonly current: StoredFlagState) {
    super('the state already holds these values')
  }
}

/** The audit action of a state update: what a person did, named by its most telling field. */
function stateAction(update: StateUpdate): string {
  if (update.cohorts !== undefined) return 'flag.cohorts'
  if (update.stickiness !== undefined) return 'flag.stickiness'
  return update.enabled === true ? 'flag.on' : 'flag.off'
}

/** A write that found its values already held answers the current state, unchanged. */
function unlessAlreadyHeld(applied: Promise<StoredFlagState>): Promise<{ state: StoredFlagState; changed: boolean }> {
  return applied.then(
    (state) => ({ state, changed: true }),
    (error: unknown) => {
      if (error instanceof AlreadyHeld) return { state: error.current, changed: false }
      throw error
    },
  )
}

/** Names of the segments the cohorts reference that do not exist in the environment. */
export function unknownSegments(cohorts: Cohort[], known: Set<string>): string[] {
  return segmentRefs(cohorts).filter((key) => !known.has(key))
}

/** 400 naming `field` when cohorts would cost too much to evaluate (sdk/core/limits.ts). */
export function checkCost(field: string, cohorts: Cohort[], segments: Segment[]): void {
  const problem = cohortsCostProblem(cohorts, new Map(segments.map((s) => [s.key, s])), patternSize)
  if (problem) throw new ValidationError(`${field}: ${problem}`)
}

export interface FlagServiceDeps {
  store: Store
  hub: Hub
  /** The bound of one environment's cohorts and segments as JSON (`CANARY_MAX_RULES_BYTES`). */
  maxRulesBytes?: number
  /** When a trip was resolved (the flag turned back on); tests pass their own clock. */
  now?: () => number
  /**
   * Where committed changes go: the hub (one process), or the replicas' sequencer, which merges
   * them with the other replicas' changes into one ordered stream to the hub.
   */
  publish?: (envKey: string, change: Change) => void
}

/**
 * Who writes, against which version, and — when the write applies an approved change request —
 * which one (its author and approvers go into the audit entry; the request settles in the same
 * transaction). `details` adds to the audit entry (an emergency change says so).
 */
export interface WriteOptions {
  actor: string
  expectedVersion?: number | undefined
  approval?: AppliedApproval | undefined
  details?: Record<string, unknown> | undefined
}

type RulesWrite = Parameters<typeof rulesSizeProblem>[0]['write']

/** 400 naming `field` when the write would take the environment's rules over their bound (read before the write). */
async function checkRulesBound(
  store: Store,
  limit: number,
  { field, envKey, segments, write }: { field: string; envKey: string; segments: Segment[]; write: RulesWrite },
): Promise<void> {
  const flags = await store.flags.listStates(envKey)
  const problem = rulesSizeProblem({ environment: envKey, flags, segments, write, limit })
  if (problem) throw new ValidationError(`${field}: ${problem}`)
}

/** 400 when new cohorts name unknown segments, cost too much, or take the rules over their bound. */
async function checkCohortsWrite(store: Store, maxRulesBytes: number, { envKey, key, cohorts }: { envKey: string; key: string; cohorts: Cohort[] }) {
  const segments = await store.segments.list(envKey)
  const missing = unknownSegments(cohorts, new Set(segments.map((s) => s.key)))
  if (missing.length) throw new ValidationError(`cohorts: unknown segment ${missing.join(', ')} in ${envKey}`)
  checkCost('cohorts', cohorts, segments)
  await checkRulesBound(store, maxRulesBytes, { field: 'cohorts', envKey, segments, write: { flag: key, cohorts } })
}

/**
 * What a state update changes, decided against the state inside the transaction: a no-op
 * (AlreadyHeld) leaves no version, audit row or stream message behind; a change of a cohort's
 * bucketing needs `reshuffle: true` (409 otherwise, api-shapes/bucketing-words.ts); turning a
 * tripped flag back on is the person's answer to the trip, so the trip is marked resolved (the
 * banner goes) and its record stays visible until the next trip.
 */
function statePatch(current: StoredFlagState, update: StateUpdate, now: () => number): StatePatch {
  const { reshuffle, ...fields } = update
  const patch: StatePatch = changedFields<StatePatch>(current, fields)
  if (Object.keys(patch).length === 0) throw new AlreadyHeld(current)
  const moved = patch.cohorts === undefined ? [] : reshuffles(current.cohorts, patch.cohorts)
  if (moved.length > 0 && reshuffle !== true) throw new ConflictError(`${reshuffleWarning(moved)}. Send reshuffle: true to confirm`, { reshuffles: moved })
  const guard = current.guard
  return update.enabled === true && guard?.lastTrip && tripHolds(guard.lastTrip)
    ? { ...patch, guard: { ...guard, lastTrip: { ...guard.lastTrip, resolvedAt: now() } } }
    : patch
}

/** The checks of a state update that need the environment (segments exist, cost, rules bound); 400 naming the field. */
async function checkStateRules(store: Store, maxRulesBytes: number, envKey: string, key: string, update: StateUpdate): Promise<void> {
  if (update.cohorts) await checkCohortsWrite(store, maxRulesBytes, { envKey, key, cohorts: update.cohorts })
}

type ApplyState = (
  envKey: string,
  key: string,
  options: WriteOptions & { action: string; details?: unknown; update: (current: StoredFlagState) => StatePatch },
) => Promise<StoredFlagState>

/** The guard's settings, set (the record of its last trip stays) or removed, through `applyState`. */
function guardWrites(applyState: ApplyState) {
  return {
    setGuard(envKey: string, key: string, settings: GuardSettings, options: WriteOptions): Promise<StoredFlagState> {
      return applyState(envKey, key, {
        ...options,
        action: 'guard.set',
        details: { ...options.details, ...settings },
        update: (current) => ({ guard: { ...settings, lastTrip: current.guard?.lastTrip ?? null } }),
      })
    },
    removeGuard(envKey: string, key: string, options: WriteOptions): Promise<StoredFlagState> {
      return applyState(envKey, key, { ...options, action: 'guard.remove', update: () => ({ guard: null }) })
    },
  }
}

/**
 * The write side of flags and segments: store (one transaction each) → publish to the hub after
 * commit. Routes, the CLI (through the API), the guard and rollout plans all change rules here.
 */
export function createFlagService({
  store,
  hub,
  publish = (envKey, change) => hub.publish(envKey, change),
  now = Date.now,
  maxRulesBytes = DEFAULT_MAX_RULES_BYTES,
}: FlagServiceDeps) {
  /** Hear every committed state whole (guard and plan included, which changes do not carry). */
  const stateListeners = new Set<(state: StoredFlagState) => void>()
  const publishAll = (changes: EnvChange[]) => changes.forEach((c) => publish(c.environment, c.change))

  async function applyState(
    envKey: string,
    key: string,
    options: {
      actor: string
      action: string
      expectedVersion?: number | undefined
      details?: unknown
      approval?: AppliedApproval | undefined
      update: (current: StoredFlagState) => StatePatch
    },
  ): Promise<StoredFlagState> {
    const { state, committed } = await store.flags.updateState(envKey, key, options)
    for (const listener of stateListeners) listener(state)
    publishAll([committed])
    return state
  }

  const checkState = (envKey: string, key: string, update: StateUpdate) => checkStateRules(store, maxRulesBytes, envKey, key, update)

  return {
    async createEnvironment(input: { key: string; name: string }, actor: string) {
      publishAll(await store.flags.createEnvironment(input, actor))
      return store.flags.getEnvironment(input.key)
    },

    /** New flags are not visible to client keys unless `clientSide` says so. */
    async createFlag(input: { key: string; description: string; tags: string[]; clientSide?: boolean | undefined }, actor: string) {
      publishAll(await store.flags.createFlag({ ...input, clientSide: input.clientSide ?? false }, actor))
      return store.flags.getFlag(input.key)
    },

    /** Description, tags, client visibility; a visibility change streams to every environment. */
    async updateFlag(key: string, patch: DefinitionPatch, actor: string) {
      const { flag, changes } = await store.flags.updateFlag(key, patch, actor)
      publishAll(changes)
      return flag
    },

    /** Protects an environment (`approvals` 1–10, else 400 naming it) or lifts its protection (0). */
    async setProtection(envKey: string, approvals: number, actor: string) {
      if (approvals !== 0) checkApprovalsCount(approvals)
      return store.flags.setProtection(envKey, approvals, actor)
    },

    async archiveFlag(key: string, actor: string) {
      publishAll(await store.flags.archiveFlag(key, actor))
    },

    /**
     * The one way a flag state changes: `update` runs inside the store's transaction (it may
     * throw to abort, or read the current state), then the change is published after commit.
     * Guard trips and rollout plans use it directly with their own actor and action.
     */
    applyState,

    /** Calls `listener` with each state committed through `applyState`, before it is streamed. */
    onState(listener: (state: StoredFlagState) => void): () => void {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },

    /**
     * On/off, stickiness and/or cohorts; the audit action says what kind of change it was. An
     * update asking for values the state already holds is idempotent: it writes nothing and
     * answers the current state with `changed: false` (so `flags off` twice succeeds).
     */
    async updateState(
      envKey: string,
      key: string,
      update: StateUpdate,
      options: WriteOptions,
    ): Promise<{ state: StoredFlagState; changed: boolean }> {
      const action = stateAction(update)
      await checkState(envKey, key, update)
      const applied = applyState(envKey, key, { ...options, action, update: (current) => statePatch(current, update, now) })
      return unlessAlreadyHeld(applied)
    },

    /** The "widen" action: one cohort's percentage, leaving the salt (and so every user in) as is. */
    setRollout(
      envKey: string,
      key: string,
      cohortName: string,
      rollout: number,
      options: WriteOptions,
    ): Promise<StoredFlagState> {
      return applyState(envKey, key, {
        ...options,
        action: 'flag.rollout',
        details: { ...options.details, cohort: cohortName, rollout },
        update: (current) => ({ cohorts: withRollout(current, cohortName, rollout) }),
      })
    },

    ...guardWrites(applyState),

    /** The checks of a state update that need the environment (segments exist, cost, rules bound); 400 naming the field. */
    checkState,

    async putSegment(
      envKey: string,
      input: SegmentInput,
      options: { actor: string; create: boolean; expectedVersion?: number | undefined },
    ) {
      await store.flags.getEnvironment(envKey)
      // A segment's patterns are evaluated by every flag that uses it: each must stay in bounds.
      const stored = await store.segments.list(envKey)
      const segments = [...stored.filter((s) => s.key !== input.key), { ...input, version: 0 }]
      for (const state of await store.flags.listStates(envKey))
        if (usesSegment(state.cohorts, input.key))
          checkCost(`conditions (as used by flag ${state.key})`, state.cohorts, segments)
      await checkRulesBound(store, maxRulesBytes, { field: 'segment', envKey, segments: stored, write: { segment: { ...input, version: 0 } } })
      const { segment, committed } = await store.segments.put(envKey, input, options)
      publishAll([committed])
      return segment
    },

    /** Publishes changes committed by a write outside this service (an import), after commit. */
    publishCommitted: publishAll,
    /** The bound of one environment's rules as JSON, for writes outside this service. */
    maxRulesBytes,

    async removeSegment(envKey: string, key: string, actor: string) {
      publishAll([await store.segments.remove(envKey, key, actor)])
    },
  }
}

export type FlagService = ReturnType<typeof createFlagService>
