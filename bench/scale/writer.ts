/**
 * Admin API writer (a child process): `concurrency` loops PATCHing flag states in production
 * (each write changes one flag's rollout, so none is refused as a no-op), first for a warm-up
 * that is not counted, then for the timed window. Tells the parent when the window starts
 * (`measuring`), so the server's CPU time can be read around exactly that window.
 *
 * Args: <server url> <admin key> <window ms> <concurrency> <flag key,flag key,…>
 */
import { loadedThenWait, reportAndExit } from './ipc.ts'
import { richCohorts } from './seed.ts'

const [url, key, windowArg, concurrencyArg, flagsArg] = process.argv.slice(2) as [string, string, string, string, string]
const windowMs = Number(windowArg)
const concurrency = Number(concurrencyArg)
const flags = flagsArg.split(',')
const WARM_UP_MS = 1000

let next = 0
async function write(): Promise<void> {
  const i = next++
  const index = i % flags.length
  const flag = flags[index]!
  const res = await fetch(`${url}/api/v1/environments/production/flags/${flag}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    // The shift changes every time the same flag comes round again.
    body: JSON.stringify({ cohorts: richCohorts(index, Math.floor(i / flags.length) + 1) }),
  })
  await res.arrayBuffer()
  if (!res.ok) throw new Error(`PATCH ${flag}: ${res.status}`)
}

/** Runs the loops until `until`; returns each write's latency (ms) and the failures. */
async function run(until: number) {
  const latencies: number[] = []
  let failures = 0
  let lastError = ''
  const loop = async () => {
    while (performance.now() < until) {
      const started = performance.now()
      try {
        await write()
        latencies.push(performance.now() - started)
      } catch (error) {
        failures++
        lastError = String(error)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return { latencies, failures, lastError }
}

await loadedThenWait('go')
await run(performance.now() + WARM_UP_MS)
process.send!({ type: 'measuring' })
const started = performance.now()
const { latencies, failures, lastError } = await run(started + windowMs)
// Writes still in flight at the deadline finish after it: divide by the time actually taken.
const elapsedMs = performance.now() - started
reportAndExit({ latencies, failures, lastError, elapsedMs })
