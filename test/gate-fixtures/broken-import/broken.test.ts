import { it } from 'vitest'

// Run only by test/gate/gate.test.ts: a file that fails to load must fail the run.
throw new Error('gate fixture: this file fails while it loads')

it('never collected', () => {})
