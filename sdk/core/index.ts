export type {
  Arm,
  AttributeCondition,
  BucketingMode,
  Cohort,
  CohortBucketing,
  Condition,
  DetailedReason,
  EvalResult,
  GenericReason,
  FlagState,
  LaunchDarklyBucketing,
  Operator,
  Reason,
  Segment,
  SegmentCondition,
  SegmentMap,
  UnleashBucketing,
  User,
} from './types.ts'
export { BUCKETING_MODES, OPERATORS } from './types.ts'
export { bucketingModesOf, bucketingProblem, launchDarklyBucket } from './bucketing-modes.ts'
export { announcedModes, isEvaluableWith, stateForModes, unavailableState } from './bucketing-capability.ts'
export { murmur3, murmur3Keyed } from './murmur3.ts'
export { BUCKET_COUNT, BUCKET_SEED, bucket, isInRollout, rolloutThreshold } from './bucket.ts'
export { parseIsoDate } from './iso-date.ts'
export type { UserPredicate } from './conditions.ts'
export {
  compileAttributeCondition,
  compileCondition,
  compileSegment,
  conditionProblem,
  isKnownOperator,
  isValidPattern,
  patternSize,
} from './conditions.ts'
export { LIMITS, cohortsCostProblem, conditionsCost } from './limits.ts'
export type { RuleCost } from './limits.ts'
export { GENERIC_REASONS, GENERIC_RESULTS, genericReason, genericResult } from './generic-reason.ts'
export type { CompiledFlag } from './evaluate.ts'
export { DEFAULT_STICKINESS, compileFlag, evaluate, toSegmentMap } from './evaluate.ts'
export { RESULTS, armOf, frozenResult } from './results.ts'

export type { Change, Snapshot } from './changes.ts'
export type { ClientMessage, FlagCounts, MetricsBatch, ServerMessage } from './protocol.ts'
export type { ArmCounters, CountedArm, Evidence, Metric } from './metrics.ts'
export { ARMS, METRICS } from './metrics.ts'
export { CLOSE, PROTOCOL, parseClientMessage, parseServerMessage } from './protocol.ts'
export type { ApplyOutcome, CompactRuleset, Ruleset } from './ruleset.ts'
export { affectedFlags, applyChange, compactRulesetFromSnapshot, rulesetFromSnapshot, snapshotOf, statesOf } from './ruleset.ts'
export type { AnswerToResolve, ContextUser, OpenFeatureErrorCode, OpenFeatureFailure, OpenFeatureResolution, OpenFeatureSuccess, Variant } from './open-feature.ts'
export { isFailure, openFeatureResolution, userFromContext } from './open-feature.ts'
