import { mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { createConsoleAssets } from '../../server/console-serving/assets.ts'
import { buildConsole } from '../../server/console-serving/build.ts'
import { consoleRoutes } from '../../server/routes/console.ts'

/** How the console is served: from `console/dist` when fresh, built in memory otherwise, never stale. */

describe('console assets', () => {
  const directory = mkdtempSync(join(tmpdir(), 'canary-flags-console-dist-'))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('builds in memory, and says so, when there is no build', async () => {
    const logged: string[] = []
    const assets = createConsoleAssets({
      distDir: join(directory, 'missing'),
      log: (m) => logged.push(m),
    })
    const { manifest, files } = await assets.current()
    expect(logged.join('\n')).toMatch(/manifest\.json is missing; building it in memory/)
    expect(files.get(manifest.script)?.type).toContain('javascript')
    expect(files.get(manifest.style)?.type).toContain('css')
    // Served again without another build.
    await assets.current()
    expect(logged).toHaveLength(1)
  }, 60_000)

  it('serves a fresh build from disk, and rebuilds when a source is newer than it', async () => {
    const dist = join(directory, 'dist')
    const built = await buildConsole(dist)
    const logged: string[] = []
    const assets = createConsoleAssets({ distDir: dist, log: (m) => logged.push(m) })
    expect((await assets.current()).manifest).toEqual(built)
    expect(logged).toEqual([])

    // Pretend the build is from the past: every source is now newer than it.
    const past = new Date(Date.now() - 86_400_000 * 365 * 50)
    utimesSync(join(dist, 'manifest.json'), past, past)
    await assets.current()
    expect(logged.join('\n')).toMatch(
      /changed after console\/dist was built; building it in memory/,
    )
  }, 60_000)
})

describe('console routes', () => {
  const app = new Hono().route('/', consoleRoutes({ log: () => {} }))

  it('serves the shell with security headers and no inline script', async () => {
    const response = await app.request('http://console.test:4242/')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const csp = response.headers.get('content-security-policy')
    expect(csp).toContain("connect-src 'self' ws://console.test:4242 wss://console.test:4242")
    expect(csp).toContain("object-src 'none'")
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    const html = await response.text()
    expect(html).not.toMatch(/<script>(?!<)/)
    expect(html).toMatch(/<script type="module" src="\/console\/app-\w+\.js"><\/script>/)
  }, 60_000)

  it('answers a failed build with a loud error, not a stale page', async () => {
    const failing = new Hono()
      .route(
        '/',
        consoleRoutes({
          log: () => {},
          assets: {
            current: () => Promise.reject(new Error('syntax error in app.tsx')),
            latest: () => Promise.reject(new Error('x')),
          },
        }),
      )
      .onError((error, c) => c.json({ message: error.message }, 500))
    const response = await failing.request('/')
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      message: 'the console could not be built: syntax error in app.tsx',
    })
  })
})
