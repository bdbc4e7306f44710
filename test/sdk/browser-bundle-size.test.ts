import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import {
  BROWSER_LIMIT_BYTES,
  BROWSER_TARGET_BYTES,
  browserBuildOptions,
  finishBrowserBundle,
  forbiddenCode,
  forbiddenInputs,
  measureBrowserBundle,
} from '../../sdk/build.ts'

/**
 * The browser SDK's size can only go down: the bundle is built exactly as `sdk/dist/browser.js`
 * and `npm run bench:bundle-size` build it (`measureBrowserBundle`), and its minified+gzipped size
 * must stay within `BROWSER_LIMIT_BYTES`, now the 6 KB goal itself. Sizes, never durations.
 */
describe('browser bundle size', () => {
  it('stays within the 6 KB goal (6,144 bytes min+gz)', async () => {
    const size = await measureBrowserBundle()
    expect(size.forbidden).toEqual([])
    expect(size.gzippedBytes, `browser bundle is ${size.gzippedBytes} bytes min+gz`).toBeLessThanOrEqual(BROWSER_LIMIT_BYTES)
    expect(BROWSER_TARGET_BYTES).toBe(6 * 1024)
    expect(BROWSER_LIMIT_BYTES).toBe(BROWSER_TARGET_BYTES)
  })

  it('leaves the rules engine, ws, SHA-1 and the OpenFeature helpers out', async () => {
    const { inputs } = await measureBrowserBundle()
    const paths = inputs.map((input) => input.path)
    expect(paths).toContain('sdk/client/results-mode.ts')
    expect(paths).not.toContain('sdk/client/rules-mode.ts')
    expect(paths).not.toContain('sdk/core/open-feature.ts')
    expect(paths.filter((path) => /sha-?1|bucketing-modes/i.test(path))).toEqual([])
    expect(paths.filter((path) => path.includes('node_modules/'))).toEqual([])
  })

  it('would refuse SHA-1, by module and by its constants in the minified code', async () => {
    // The cohort bucketing modes of other products hash with SHA-1 in the rules engine; a
    // module of that name, a package or a copy inlined elsewhere must all fail the build.
    const inputs = { 'sdk/core/sha1.ts': {}, 'node_modules/js-sha1/src/sha1.js': {}, 'sdk/client/client.ts': {} }
    expect(forbiddenInputs({ inputs, outputs: {} } as never)).toEqual(['sdk/core/sha1.ts', 'node_modules/js-sha1/src/sha1.js'])
    const inlined = await build({
      ...browserBuildOptions(),
      entryPoints: undefined,
      stdin: { contents: 'export const rounds = (i) => [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6][i >> 4]', loader: 'js' },
      write: false,
    })
    const code = await finishBrowserBundle(inlined.outputFiles[0]!.text)
    expect(forbiddenCode(code)).toEqual(['SHA-1 (round constants)'])
  })
})
