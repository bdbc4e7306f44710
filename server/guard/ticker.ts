import type { GuardService } from './guard-service.ts'

export interface GuardTicker {
  /** The replicas' leader lock changed hands: on taking over, resume the previous leader's tests. */
  leadershipChanged(leading: boolean): void
  /** Ticks every `everyMs` (the timer does not hold the process open). */
  start(everyMs: number): void
  /** Stops the timer at once; the promise settles when the tick in progress (if any) ends. */
  stop(): Promise<void>
}

/**
 * The guard's clock and its leader/follower policy: windows slide and plans fall due without any
 * request arriving. The leader (a single process always leads) judges the windows, takes plan
 * steps and prunes old minute rows; a follower only keeps the shared evidence current, so it can
 * resume the tests where the leader left them when it takes over. One tick at a time: a slow
 * database must not pile ticks up behind each other. A failed tick is logged and the next runs.
 *
 * @example
 * const ticker = createGuardTicker({ guard, planner, isLeader: () => lock.isLeader(), pruneMetrics, log })
 * ticker.start(1000)
 */
export function createGuardTicker(deps: {
  guard: Pick<GuardService, 'leaderTick' | 'followerTick'>
  planner: { tick(): Promise<unknown> }
  /** Whether this replica holds the leader lock now; a single process always leads. */
  isLeader: () => boolean
  /** Deletes aged minute aggregates (and aged audit rows, when a retention is set); run on the first tick and every `pruneEveryTicks` after. */
  pruneMetrics: () => Promise<void>
  pruneEveryTicks?: number
  log: (message: string, error?: unknown) => void
}): GuardTicker {
  const pruneEvery = deps.pruneEveryTicks ?? 3600
  let resumeEvidence = false
  let ticks = 0
  let ticking: Promise<void> | undefined
  let timer: ReturnType<typeof setInterval> | undefined

  async function tick(): Promise<void> {
    try {
      if (!deps.isLeader()) return await deps.guard.followerTick()
      if (resumeEvidence) {
        // Just took over: resume the previous leader's tests instead of restarting them.
        resumeEvidence = false
        await deps.guard.followerTick()
      }
      await deps.guard.leaderTick()
      await deps.planner.tick()
      if (ticks++ % pruneEvery === 0) await deps.pruneMetrics()
    } catch (error) {
      deps.log('guard tick failed', error)
    }
  }

  return {
    leadershipChanged(leading) {
      resumeEvidence = leading
    },
    start(everyMs) {
      timer = setInterval(() => {
        ticking ??= tick().finally(() => (ticking = undefined))
      }, everyMs)
      timer.unref()
    },
    async stop() {
      clearInterval(timer)
      await ticking
    },
  }
}
