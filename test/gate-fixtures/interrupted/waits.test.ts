import { writeFileSync } from 'node:fs'
import { it } from 'vitest'

// Run only by test/gate/gate.test.ts: the gate interrupts the run (SIGINT) while this test
// waits; an interrupted run must not exit 0. The marker file says the test has started.
it('gate fixture: waits until the run is interrupted', async () => {
  writeFileSync(process.env.CANARY_GATE_MARKER!, 'started')
  await new Promise(() => {})
}, 600_000)
