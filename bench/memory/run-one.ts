import { setTimeout as sleep } from 'node:timers/promises'
import { getHeapSpaceStatistics } from 'node:v8'
import { richFlags } from '../fixture/flags.ts'
import { BETA_IDS } from '../fixture/users.ts'
import { emitResult } from '../lib/child.ts'
import { SDKS, isSdkId, type SdkUnderTest } from '../sdks/index.ts'

/**
 * One memory sample, in a fresh process started with `--expose-gc`: `main.mjs <sdk> <count>`.
 * Loads `count` distinct rich flags, evaluates each once (so lazily built state exists), then
 * collects garbage and reads the heap and RSS. The flag definitions are built from JSON inside
 * the adapter and not kept here, so only what the SDK retains is counted.
 *
 * The SDK is used again (closed) after the reading: an SDK that holds no timer or socket is
 * otherwise unreachable once the evaluation loop ends, and at 10,000 flags, where that loop is
 * optimised, V8 knows it and the GC before the reading freed the whole SDK (peers read +0.01–0.03
 * KB of heap per flag at 10,000 flags, below their 1,000-flag figure).
 * `MEMORY_DETAIL=1` adds heapTotal, external, arrayBuffers and the V8 heap spaces to the result.
 */

export interface MemorySample {
  ok: boolean
  summary: string
  heapUsed?: number
  rss?: number
  detail?: Record<string, number>
}

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

async function collect(): Promise<void> {
  // Twice with a turn of the event loop between: finalizers and weak references settle.
  gc!()
  await sleep(20)
  gc!()
}

async function measure(id: string, count: number): Promise<MemorySample> {
  if (!isSdkId(id)) throw new Error(`unknown SDK ${id}`)
  const sdk = await SDKS[id].load(richFlags(count))
  const on = await evaluateEach(sdk, count)
  // Every flag must be loaded and working, or the figure would measure an empty SDK.
  if (on !== count) return { ok: false, summary: `${on}/${count} flags on for a beta user` }
  await collect()
  const usage = process.memoryUsage()
  // Used after the reading, so the SDK is alive at it whatever it holds (see above).
  await sdk.close()
  const detail = process.env.MEMORY_DETAIL ? details(usage) : undefined
  return { ok: true, summary: `${count} flags verified`, heapUsed: usage.heapUsed, rss: usage.rss, detail }
}

/** Evaluates every flag once for a beta user; the keys are the harness's and gone after it. */
async function evaluateEach(sdk: SdkUnderTest, count: number): Promise<number> {
  const beta = sdk.toUser({ id: BETA_IDS[0]!, region: 'us-east' })
  let on = 0
  for (const { key } of richFlags(count)) {
    if (await (sdk.sync ? sdk.isEnabled(key, beta) : sdk.isEnabled(key, beta))) on++
  }
  return on
}

function details(usage: NodeJS.MemoryUsage): Record<string, number> {
  const spaces = getHeapSpaceStatistics()
    .filter((s) => s.physical_space_size > 0)
    .flatMap((s) => [[`${s.space_name} used`, s.space_used_size], [`${s.space_name} physical`, s.physical_space_size]] as Array<[string, number]>)
  return { heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers, ...Object.fromEntries(spaces) }
}

const [id = '', count = '1'] = process.argv.slice(2)
emitResult(await measure(id, Number(count)))
process.exit(0)
