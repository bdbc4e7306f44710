import type { FlagSpec } from '../fixture/flags.ts'
import type { BenchUser } from '../fixture/users.ts'

/**
 * One SDK set up with some flags, seen through the smallest interface the benchmarks need.
 * Users are converted to the SDK's own context shape before timing, so no adapter pays for a
 * conversion per call.
 */
interface Common<U> {
  toUser(user: BenchUser): U
  /** Stops timers and sockets; the child exits right after, so nothing waits on it long. */
  close(): Promise<void> | void
}

/** `isEnabled` answers synchronously (canary-flags, Unleash, GrowthBook). */
export interface SyncSdk<U> extends Common<U> {
  sync: true
  isEnabled(key: string, user: U): boolean
}

/** `isEnabled` answers through a promise (LaunchDarkly's `variation`), and is awaited per call. */
export interface AsyncSdk<U> extends Common<U> {
  sync: false
  isEnabled(key: string, user: U): Promise<boolean>
}

export type SdkUnderTest<U = unknown> = SyncSdk<U> | AsyncSdk<U>

export type LoadSdk = (flags: readonly FlagSpec[]) => Promise<SdkUnderTest>

/** Where nothing listens: SDKs that insist on a server get a connection that fails fast. */
export const NOWHERE = 'http://127.0.0.1:9'
