import { BROWSER_LIMIT_BYTES, BROWSER_TARGET_BYTES, measureBrowserBundle } from '../sdk/build.ts'

/**
 * The browser SDK's size as shipped: built as `sdk/dist/browser.js` is (esbuild bundled and
 * minified with the internal property names shortened, then terser), gzipped at level 9, with
 * each input's share of esbuild's minified output.
 * Exits non-zero over the limit (`BROWSER_LIMIT_BYTES`, which the size test also enforces) or
 * when a module that belongs to Node or the rules engine got into the bundle; says so when the
 * bundle is within the limit but over the 6 KB goal.
 *
 * Run: `npm run bench:bundle-size`
 */
const size = await measureBrowserBundle()

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`
console.log(
  `browser SDK: ${kb(size.minifiedBytes)} minified, ${kb(size.gzippedBytes)} minified+gzipped ` +
    `(${size.gzippedBytes} bytes; goal ${kb(BROWSER_TARGET_BYTES)}, limit ${kb(BROWSER_LIMIT_BYTES)}; 1 KB = 1,024 bytes)`,
)
console.log('bytes each module contributes to esbuild\'s minified output, before terser:')
console.log(size.inputs.map(({ path, bytes }) => `  ${String(bytes).padStart(6)}  ${path}`).join('\n'))

if (size.forbidden.length > 0) {
  console.error(`FAIL: the bundle contains ${size.forbidden.join(', ')}`)
  process.exitCode = 1
}
if (size.gzippedBytes > BROWSER_LIMIT_BYTES) {
  console.error(`FAIL: ${kb(size.gzippedBytes)} is over the ${kb(BROWSER_LIMIT_BYTES)} limit`)
  process.exitCode = 1
} else if (size.gzippedBytes > BROWSER_TARGET_BYTES) {
  console.log(`over the ${kb(BROWSER_TARGET_BYTES)} goal by ${kb(size.gzippedBytes - BROWSER_TARGET_BYTES)}`)
}
