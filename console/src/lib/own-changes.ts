import type { FlagState } from '../api/types.ts'

/** The parts of a flag state that the flag page's forms edit separately. */
export type Part = 'enabled' | 'cohorts' | 'guard' | 'plan'

/**
 * The versions this page produced itself. A form whose edits started before one of them is not
 * "changed by someone else" when that change left the form's part alone (the kill switch does
 * not touch cohorts), so such a draft follows it instead of showing a conflict.
 *
 * @example
 * const own = createOwnChanges()
 * own.record(4, 5, ['enabled'])  // this page turned the flag off: version 4 → 5
 * own.follow(4, 'cohorts')       // 5: a cohorts draft from version 4 can still be saved
 * own.follow(4, 'enabled')       // 4: an on/off draft from version 4 cannot
 */
export function createOwnChanges() {
  const steps = new Map<number, { to: number; touched: readonly Part[] }>()
  return {
    record(from: number, to: number, touched: readonly Part[]): void {
      steps.set(from, { to, touched })
    },
    /** The newest version reachable from `base` through own changes that left `part` alone. */
    follow(base: number, part: Part): number {
      let version = base
      for (
        let step = steps.get(version);
        step && !step.touched.includes(part);
        step = steps.get(version)
      )
        version = step.to
      return version
    },
  }
}

export type OwnChanges = ReturnType<typeof createOwnChanges>

/** How the flag page's panels report what they did, and learn where their drafts stand. */
export interface FlagChanges {
  /** A save of this page succeeded: `next` was made from version `from`, changing `touched`. */
  saved(next: FlagState, from: number, touched: readonly Part[]): void
  /** The server holds a newer state than shown (a 409 answer carries it). */
  seen(current: FlagState): void
  /** Where a draft of `part` that started at `base` stands after this page's own changes. */
  follow(base: number, part: Part): number
}
