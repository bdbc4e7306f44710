/** The Node entry of the SDK: server keys (local evaluation) and client keys. */
export { createClient } from './client/create-node-client.ts'
export { ClientError } from './client/errors.ts'
export { fileCache } from './client/file-cache.ts'
export type { ClientErrorCode } from './client/errors.ts'
export type { StateCache } from './client/state-cache.ts'
export type {
  ClientEvents,
  ClientOptions,
  ClientStatus,
  DetailReason,
  EvaluationDetails,
  FlagClient,
  Logger,
  ResolvedDetails,
  ResultsBootstrap,
} from './client/types.ts'
export { isFailure, openFeatureResolution, userFromContext } from './core/open-feature.ts'
export type {
  AnswerToResolve,
  ContextUser,
  OpenFeatureErrorCode,
  OpenFeatureFailure,
  OpenFeatureResolution,
  OpenFeatureSuccess,
  Variant,
} from './core/open-feature.ts'
export type { Snapshot } from './core/changes.ts'
export type { EvalResult, GenericReason, Reason, User } from './core/types.ts'
