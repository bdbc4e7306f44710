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
  ResultsBootstrap,
} from './client/types.ts'
export type { EvalResult, Reason, User } from './core/types.ts'
