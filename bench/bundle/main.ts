import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { browserBuildOptions, finishBrowserBundle, sdkBrowserBuildOptions } from '../../sdk/build.ts'
import { firstLine } from '../lib/child.ts'
import { KB, fixed, times } from '../lib/format.ts'
import { writeResult, type BenchRow } from '../lib/results.ts'
import { versionOf } from '../lib/versions.ts'

/**
 * Browser bundle size: each SDK bundled from a tiny entry that constructs its client and asks
 * one flag, with the esbuild options of our own browser build (bundle, minify, browser
 * platform, ESM, es2020) and its terser pass, then gzip -9. Same entry shape and options for
 * everyone, so the figures compare what an app would actually ship; only our own bundle also
 * gets its internal property names shortened (`sdkBrowserBuildOptions`), as it ships.
 */

const here = dirname(fileURLToPath(import.meta.url))

const SUBJECTS = [
  { entry: 'canary-flags', pkg: undefined },
  { entry: 'unleash-proxy-client', pkg: 'unleash-proxy-client' },
  { entry: 'growthbook', pkg: '@growthbook/growthbook' },
  { entry: 'launchdarkly-js-client-sdk', pkg: 'launchdarkly-js-client-sdk' },
] as const

async function sizeOf(entry: string, ours: boolean): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    ...(ours ? sdkBrowserBuildOptions() : browserBuildOptions()),
    entryPoints: [join(here, 'entries', `${entry}.ts`)],
    outfile: 'out.js',
    write: false,
    metafile: true,
  })
  const output = result.outputFiles[0]
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`)
  const code = Buffer.from(await finishBrowserBundle(output.text))
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

const rows: BenchRow[] = []
let ok = true
let ours: number | undefined
for (const { entry, pkg } of SUBJECTS) {
  const label = pkg === undefined ? 'canary-flags (sdk/browser.ts)' : `${pkg} ${versionOf(pkg)}`
  try {
    const { minified, gzipped } = await sizeOf(entry, pkg === undefined)
    ours ??= gzipped
    const ratio = pkg === undefined ? '' : `; ${times(gzipped / ours)} ours`
    const note = `${fixed(minified / KB)} KB minified${ratio}`
    rows.push({ label, value: gzipped / KB, unit: 'KB gz', note })
  } catch (error) {
    ok = false
    rows.push({ label, value: null, unit: 'KB gz', note: `FAILED: ${firstLine(error)}` })
  }
}

writeResult({
  name: 'bundle',
  title: 'Browser bundle: tiny entry using the client, esbuild with our browser options then terser, gzip -9',
  date: new Date().toISOString(),
  ok,
  rows,
})
if (!ok) process.exitCode = 1
