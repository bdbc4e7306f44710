/** The browser entry of the SDK: client keys only, no rules engine, no `ws`. */
export { createClient } from './client/create-browser-client.ts'
export { ClientError } from './client/errors.ts'
export { localStorageCache } from './client/local-storage-cache.ts'
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
export type { EvalResult, GenericReason, Reason, User } from './core/types.ts'
