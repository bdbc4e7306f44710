import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createGuardTicker } from '../../../server/guard/ticker.ts'

/** The guard's leader/follower tick policy, driven by fake timers (no server, no database). */
describe('guard ticker', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function setup(leading: { now: boolean }) {
    const calls: string[] = []
    const logged: string[] = []
    const ticker = createGuardTicker({
      guard: {
        leaderTick: async () => void calls.push('leader'),
        followerTick: async () => void calls.push('follower'),
      },
      planner: { tick: async () => void calls.push('plans') },
      isLeader: () => leading.now,
      pruneMetrics: async () => void calls.push('prune'),
      pruneEveryTicks: 2,
      log: (message) => logged.push(message),
    })
    return { ticker, calls, logged }
  }

  it('the leader judges windows, takes plan steps and prunes on the first tick and every Nth after', async () => {
    const { ticker, calls } = setup({ now: true })
    ticker.start(1000)
    await vi.advanceTimersByTimeAsync(3000)
    await ticker.stop()
    expect(calls).toEqual(['leader', 'plans', 'prune', 'leader', 'plans', 'leader', 'plans', 'prune'])
  })

  it('a follower only keeps the shared evidence current', async () => {
    const { ticker, calls } = setup({ now: false })
    ticker.start(1000)
    await vi.advanceTimersByTimeAsync(2000)
    await ticker.stop()
    expect(calls).toEqual(['follower', 'follower'])
  })

  it('on taking the lead it first resumes the previous leader’s evidence, once', async () => {
    const leading = { now: false }
    const { ticker, calls } = setup(leading)
    ticker.start(1000)
    await vi.advanceTimersByTimeAsync(1000)
    leading.now = true
    ticker.leadershipChanged(true)
    await vi.advanceTimersByTimeAsync(2000)
    await ticker.stop()
    expect(calls).toEqual(['follower', 'follower', 'leader', 'plans', 'prune', 'leader', 'plans'])
  })

  it('logs a failed tick and keeps ticking', async () => {
    const logged: string[] = []
    let n = 0
    const ticker = createGuardTicker({
      guard: {
        leaderTick: async () => {
          if (n++ === 0) throw new Error('database gone')
        },
        followerTick: async () => {},
      },
      planner: { tick: async () => {} },
      isLeader: () => true,
      pruneMetrics: async () => {},
      log: (message) => logged.push(message),
    })
    ticker.start(1000)
    await vi.advanceTimersByTimeAsync(2000)
    await ticker.stop()
    expect(logged).toEqual(['guard tick failed'])
    expect(n).toBe(2)
  })
})
