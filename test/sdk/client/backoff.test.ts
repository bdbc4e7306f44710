// Contract: sdk/SPEC.md §7 (backoff with jitter). Where this test and the spec disagree, one of them is a bug.
import { describe, expect, it } from 'vitest'
import { createBackoff } from '../../../sdk/core/backoff.ts'
import { seededRandom } from '../../helpers/random.ts'

/** Always the ceiling: makes the exponential schedule visible. */
const noJitter = () => 1

describe('createBackoff', () => {
  it('doubles the ceiling from the base on each consecutive failure', () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 30_000, random: noJitter })
    const delays = [0, 1, 2, 3, 4].map(() => backoff.fail(0))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000])
  })

  it('never waits longer than the cap, however many failures', () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 30_000, random: noJitter })
    const delays = Array.from({ length: 200 }, () => backoff.fail(0))
    expect(Math.max(...delays)).toBe(30_000)
    expect(delays.at(-1)).toBe(30_000)
    expect(delays.every(Number.isFinite)).toBe(true)
  })

  it('applies full jitter: the delay is random × ceiling', () => {
    const backoff = createBackoff({ baseMs: 1000, random: () => 0.25 })
    expect(backoff.fail(0)).toBe(250)
    expect(backoff.fail(0)).toBe(500)
    const zero = createBackoff({ baseMs: 1000, random: () => 0 })
    expect(zero.fail(0)).toBe(0)
  })

  it('resets to the base after a connection stayed up for resetAfterMs', () => {
    const backoff = createBackoff({ baseMs: 500, resetAfterMs: 10_000, random: noJitter })
    backoff.fail(0)
    backoff.fail(0)
    expect(backoff.fail(0)).toBe(2000)
    backoff.success(100_000)
    expect(backoff.fail(110_000)).toBe(500)
  })

  it('keeps growing when connections drop before resetAfterMs (a flapping server)', () => {
    const backoff = createBackoff({ baseMs: 500, resetAfterMs: 10_000, random: noJitter })
    expect(backoff.fail(0)).toBe(500)
    backoff.success(1_000)
    expect(backoff.fail(9_999)).toBe(1000)
    backoff.success(20_000)
    expect(backoff.fail(21_000)).toBe(2000)
  })

  it('does not reset on a failure long after an earlier connection that already failed', () => {
    const backoff = createBackoff({ baseMs: 500, resetAfterMs: 10_000, random: noJitter })
    backoff.success(0)
    expect(backoff.fail(50_000)).toBe(500)
    // No success since: the next attempt keeps climbing even though time passed.
    expect(backoff.fail(200_000)).toBe(1000)
  })
})

describe('createBackoff after a healthy connection drops with no close code', () => {
  it('follows the restart schedule once the connection had been up for resetAfterMs (a crashed server)', () => {
    const backoff = createBackoff({ baseMs: 600_000, capMs: 600_000, resetAfterMs: 10_000, restartSpreadMs: 1000, random: () => 0.25 })
    backoff.success(0)
    expect(backoff.dropped(20_000)).toBe(250)
    // Refused while the server is down: once per spread at this SDK's phase, not the ordinary ten minutes.
    expect(backoff.fail(20_250)).toBe(1000)
    expect(backoff.fail(21_250)).toBe(1000)
  })

  it('backs off as usual when the connection dropped before resetAfterMs (a flapping server)', () => {
    const backoff = createBackoff({ baseMs: 500, resetAfterMs: 10_000, random: noJitter })
    backoff.success(0)
    expect(backoff.dropped(5_000)).toBe(500)
    backoff.success(6_000)
    expect(backoff.dropped(7_000)).toBe(1000)
  })
})

describe('createBackoff after a restart close (1012)', () => {
  it('waits this SDK\'s phase, then tries once per spread however many attempts fail', () => {
    const backoff = createBackoff({ restartSpreadMs: 1500, random: () => 0.2 })
    expect(backoff.restart(10_000)).toBe(300)
    // Attempts at 10,300, 11,800, 13,300…: an attempt refused at once waits one whole period.
    expect(backoff.fail(10_300)).toBe(1500)
    expect(backoff.fail(11_800)).toBe(1500)
    // A slow attempt (a 700 ms connect timeout) still keeps the phase: the next slot is 13,300.
    expect(backoff.fail(12_500)).toBe(800)
    // An attempt that took longer than a period skips to the next slot after it.
    expect(backoff.fail(15_000)).toBe(1300)
  })

  it('does not grow the ordinary exponential schedule while restarting', () => {
    const backoff = createBackoff({ baseMs: 500, restartSpreadMs: 1500, restartPatienceMs: 60_000, random: noJitter })
    backoff.restart(0)
    for (let at = 1500; at < 50_000; at += 1500) expect(backoff.fail(at)).toBe(1500)
  })

  it('resumes exponential backoff after restartPatienceMs, from a ceiling no shorter than the spread', () => {
    const backoff = createBackoff({ baseMs: 500, capMs: 30_000, restartSpreadMs: 1500, restartPatienceMs: 30_000, random: noJitter })
    backoff.restart(0)
    expect(backoff.fail(29_000)).toBe(1000) // slots at 1,500 + k × 1,500: the last one at 30,000
    // 30 s without a connection: the server is not restarting, it is down.
    expect(backoff.fail(31_500)).toBe(2000)
    expect(backoff.fail(33_500)).toBe(4000)
    expect(backoff.fail(37_500)).toBe(8000)
  })

  it('ends the restart schedule when a connection opens: the next drop backs off as usual', () => {
    const backoff = createBackoff({ baseMs: 500, restartSpreadMs: 1500, random: noJitter })
    backoff.restart(0)
    backoff.success(1_500)
    expect(backoff.fail(2_000)).toBe(500)
    expect(backoff.fail(2_500)).toBe(1000)
  })

  it('starts the ordinary schedule from the base after patience when the connection had been healthy', () => {
    const backoff = createBackoff({ baseMs: 500, resetAfterMs: 10_000, restartSpreadMs: 1000, restartPatienceMs: 5_000, random: noJitter })
    for (let i = 0; i < 8; i++) backoff.fail(0)
    backoff.success(0)
    backoff.restart(60_000)
    // Healthy for 60 s: the 8 earlier failures are forgotten; after patience, 1 s (the spread) is the ceiling.
    expect(backoff.fail(65_000)).toBe(1000)
  })

  it('brings a fleet of 10,000 back within one spread of the server answering, evenly', () => {
    const random = seededRandom(24)
    const spread = 1500
    const downUntil = 4321
    const fleet = Array.from({ length: 10_000 }, () => createBackoff({ restartSpreadMs: spread, random }))
    // Every SDK is closed at 0; an attempt before downUntil is refused at once.
    const backAt = fleet.map((backoff) => {
      let at = backoff.restart(0)
      while (at < downUntil) at += backoff.fail(at)
      return at - downUntil
    })
    const sorted = [...backAt].sort((a, b) => a - b)
    expect(sorted.at(-1)!).toBeLessThan(spread)
    expect(sorted[5000]!).toBeLessThan(spread * 0.55)
    // Arrivals per 100 ms: an even rate of 10,000 / 15 windows (~667), never a burst.
    const perWindow = new Array<number>(Math.ceil(spread / 100)).fill(0)
    for (const wait of backAt) perWindow[Math.floor(wait / 100)]!++
    expect(Math.max(...perWindow)).toBeLessThan((10_000 / 15) * 1.2)
  })
})

describe('createBackoff with the window a restart close asks for', () => {
  it('spreads over the server\'s window when it is wider than the default', () => {
    const backoff = createBackoff({ restartSpreadMs: 1000, random: () => 0.5 })
    expect(backoff.restart(0, 5000)).toBe(2500)
    expect(backoff.fail(2500)).toBe(5000)
  })

  it('never narrows its own default window for a server that asks for less', () => {
    const backoff = createBackoff({ restartSpreadMs: 1000, random: () => 0.5 })
    expect(backoff.restart(0, 10)).toBe(500)
    expect(backoff.fail(500)).toBe(1000)
  })
})
