/**
 * The SDK's OpenFeature helpers as their own entry, `@canary-flags/sdk/openfeature`: the
 * providers (`@canary-flags/openfeature`) import them from here, so a page that uses the browser
 * SDK without OpenFeature does not download them (they kept the browser bundle over its budget).
 * The Node entry re-exports them too.
 */
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
