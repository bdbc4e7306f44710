import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { browserBuildOptions, forbiddenInputs } from '../sdk/build.ts'

/**
 * The browser SDK's size as shipped: the same esbuild options as `sdk/dist/browser.js`
 * (bundled, minified), gzipped at level 9. Exits non-zero over the budget or when a module that
 * belongs to Node or the rules engine got into the bundle.
 *
 * Run: `npm run bench:bundle-size`
 */
const BUDGET_BYTES = 6 * 1024

const result = await build({ ...browserBuildOptions(), write: false, outfile: 'browser.js' })
const code = result.outputFiles[0]?.contents
if (code === undefined) throw new Error('esbuild produced no output')
const gzipped = gzipSync(code, { level: 9 }).length
const forbidden = forbiddenInputs(result.metafile)

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`
console.log(`browser SDK: ${kb(code.length)} minified, ${kb(gzipped)} minified+gzipped (budget ${kb(BUDGET_BYTES)})`)
const inputs = Object.entries(result.metafile.outputs['browser.js']?.inputs ?? {})
  .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
  .map(([path, { bytesInOutput }]) => `  ${String(bytesInOutput).padStart(6)}  ${path}`)
console.log(inputs.join('\n'))

if (forbidden.length > 0) {
  console.error(`FAIL: the bundle contains ${forbidden.join(', ')}`)
  process.exitCode = 1
}
if (gzipped > BUDGET_BYTES) {
  console.error(`FAIL: ${kb(gzipped)} is over the ${kb(BUDGET_BYTES)} budget`)
  process.exitCode = 1
}
