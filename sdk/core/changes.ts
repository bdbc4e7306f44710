import type { FlagState, Segment } from './types.ts'

/**
 * One committed change to an environment, as stored in the change log and streamed to
 * server-key SDKs. `version` is the environment's version after the change.
 */
export type Change =
  | { type: 'flag'; version: number; flag: FlagState }
  | { type: 'flag_deleted'; version: number; key: string }
  | { type: 'segment'; version: number; segment: Segment }
  | { type: 'segment_deleted'; version: number; key: string }

/** Everything a server-key SDK needs to evaluate locally, as of `version`. */
export interface Snapshot {
  environment: string
  version: number
  flags: FlagState[]
  segments: Segment[]
}
