import { expect, it } from 'vitest'

// Run only by test/gate/gate.test.ts: with nothing failing, the runner must exit 0.
it('gate fixture: this assertion holds', () => {
  expect(1 + 1).toBe(2)
})
