/** The Node entry of the SDK: server keys (local evaluation) and client keys. */
export { createClient } from './client/create-node-client.ts'
export { fileCache } from './client/file-cache.ts'
export * from './shared-exports.ts'
export * from './openfeature.ts'
export type { Snapshot } from './core/changes.ts'
