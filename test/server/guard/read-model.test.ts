import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { fromLegacyCounts } from '../../../sdk/core/metrics.ts'
import { makeStack, type Stack } from '../../helpers/stack.ts'

/** The guard's read model is in memory and holds guarded flags only: counts cost no store read. */
let s: Stack
let clock: number
let batchNo = 0
const FLAGS = '/api/v1/environments/production/flags'

beforeEach(async () => {
  clock = 1_800_000_000_000
  s = await makeStack({ now: () => clock })
  for (const key of ['guarded', 'plain']) {
    await s.call('POST', '/api/v1/flags', { body: { key } })
    await s.call('PATCH', `${FLAGS}/${key}`, { body: { enabled: true } })
  }
  await s.call('PUT', `${FLAGS}/guarded/guard`, { body: { maxErrorRate: 0.05 } })
})
afterEach(() => s.close())

const ingest = (flag: string) =>
  s.guard.ingest('production', { id: `b-${++batchNo}`, start: clock - 1000, end: clock, flags: { [flag]: fromLegacyCounts([10, 0, 10, 0]) } }, 'server')

it('counts of an unguarded flag, and the tick of a guarded one, read no flag state from the store', async () => {
  const reads = vi.spyOn(s.store.flags, 'getState')
  await ingest('plain')
  await ingest('guarded')
  clock += 1000
  await s.guard.tick()
  await new Promise((resolve) => setImmediate(resolve))
  expect(reads).not.toHaveBeenCalled()
  expect(s.guard.figures('production', 'plain')).toBeNull()
  expect(s.guard.figures('production', 'guarded')).toMatchObject({ canaryExposures: 10, controlExposures: 10 })
})

it('the ten-second chart rows of a guarded flag still come from its figures', async () => {
  await ingest('guarded')
  clock += 1000
  await s.guard.tick()
  const metrics = (await s.call('GET', `${FLAGS}/guarded/metrics`)).json
  expect(metrics.fine?.rows.length).toBeGreaterThan(0)
})

it("a flag's view for the console feed reads its state only when it has a guard, and is its state's view", async () => {
  const read = (flag: string) => () => s.store.flags.getState('production', flag)
  const viewOf = async (flag: string) => s.guard.status(await read(flag)())
  const reads = vi.spyOn(s.store.flags, 'getState')
  const plain = await s.guard.view('production', 'plain', read('plain'))
  expect(reads).not.toHaveBeenCalled()
  expect(plain).toEqual(await viewOf('plain'))
  reads.mockClear()
  expect(await s.guard.view('production', 'guarded', read('guarded'))).toEqual(await viewOf('guarded'))
  expect(reads).toHaveBeenCalledTimes(2) // the view's read, then the comparison's

  // Its guard removed, then off with a guard: each time the view its state gives.
  await s.call('DELETE', `${FLAGS}/guarded/guard`)
  expect(await s.guard.view('production', 'guarded', read('guarded'))).toEqual(await viewOf('guarded'))
  await s.call('PUT', `${FLAGS}/plain/guard`, { body: { maxErrorRate: 0.05 } })
  await s.call('PATCH', `${FLAGS}/plain`, { body: { enabled: false } })
  expect(await s.guard.view('production', 'plain', read('plain'))).toMatchObject({ status: 'off', guard: { maxErrorRate: 0.05 } })
  expect(await s.guard.view('production', 'plain', read('plain'))).toEqual(await viewOf('plain'))
})
