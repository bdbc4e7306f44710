/**
 * What both entries of the SDK export besides `createClient` and their cache: errors and public
 * types. `index.ts` (Node) and `browser.ts` re-export it, so the two entries cannot drift apart;
 * nothing here may pull in `ws` or the rules engine (see build.ts). The OpenFeature helpers are
 * in `openfeature.ts` (their own entry, re-exported by the Node entry, not the browser's).
 */
export { ClientError } from './client/errors.ts'
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
export type { EvalResult, GenericReason, Reason, User } from './core/types.ts'
