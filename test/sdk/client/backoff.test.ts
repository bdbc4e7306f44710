import { describe, expect, it } from 'vitest'
import { createBackoff } from '../../../sdk/core/backoff.ts'

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
