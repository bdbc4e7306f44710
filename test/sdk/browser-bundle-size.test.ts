import { describe, expect, it } from 'vitest'
import { BROWSER_LIMIT_BYTES, BROWSER_TARGET_BYTES, measureBrowserBundle } from '../../sdk/build.ts'

/**
 * The browser SDK's size can only go down: the bundle is built exactly as `sdk/dist/browser.js`
 * and `npm run bench:bundle-size` build it (`measureBrowserBundle`), and its minified+gzipped size
 * must stay within `BROWSER_LIMIT_BYTES`. Sizes, never durations.
 */
describe('browser bundle size', () => {
  it('stays within the limit, which never exceeds the goal by more than the measured gap', async () => {
    const size = await measureBrowserBundle()
    expect(size.forbidden).toEqual([])
    expect(size.gzippedBytes, `browser bundle is ${size.gzippedBytes} bytes min+gz`).toBeLessThanOrEqual(BROWSER_LIMIT_BYTES)
    // The limit may only move towards the 6 KB goal: 6.9 KB is where the bundle stood when this test came.
    expect(BROWSER_TARGET_BYTES).toBe(6 * 1024)
    expect(BROWSER_LIMIT_BYTES).toBeLessThanOrEqual(Math.ceil(6.9 * 1024))
  })

  it('leaves the rules engine, ws and the OpenFeature helpers out', async () => {
    const { inputs } = await measureBrowserBundle()
    const paths = inputs.map((input) => input.path)
    expect(paths).toContain('sdk/client/results-mode.ts')
    expect(paths).not.toContain('sdk/client/rules-mode.ts')
    expect(paths).not.toContain('sdk/core/open-feature.ts')
    expect(paths.filter((path) => path.includes('node_modules/'))).toEqual([])
  })
})
