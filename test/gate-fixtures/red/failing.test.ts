import { expect, it } from 'vitest'

// Run only by test/gate/gate.test.ts: a failing test must make the runner exit non-zero.
it('gate fixture: this assertion is meant to fail', () => {
  expect(1 + 1).toBe(3)
})
