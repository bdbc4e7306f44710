/**
 * The browser entry of the SDK: client keys only, no rules engine, no `ws`. The OpenFeature
 * helpers are imported from `@canary-flags/sdk/openfeature` (see openfeature.ts), not here.
 */
export { createClient } from './client/create-browser-client.ts'
export { localStorageCache } from './client/local-storage-cache.ts'
export * from './shared-exports.ts'
