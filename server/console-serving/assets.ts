import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildConsoleBundle,
  DIST_DIR,
  ROOT,
  type ConsoleBundle,
  type ConsoleManifest,
} from './build.ts'

export interface ConsoleAssets {
  /** The bundle to serve now, rebuilt first when its sources changed since it was made. */
  current(): Promise<ConsoleBundle>
  /** The bundle last served (loaded if there is none yet): asset requests use the page's bundle. */
  latest(): Promise<ConsoleBundle>
}

/** A bundle and the time its sources must not be newer than. */
interface Loaded {
  bundle: ConsoleBundle
  from: 'dist' | 'memory'
  at: number
}

const mtime = (path: string) =>
  existsSync(path) ? statSync(path).mtimeMs : Number.POSITIVE_INFINITY

/**
 * Serves `console/dist` (built by `npm install`) and never serves it stale: when it is missing
 * or older than a source it was built from, the console is built in memory with esbuild and a
 * line is logged. Freshness is checked on each page load (a stat per source file), so edits
 * show up on reload. A failed build rejects, so the page shows the error, not an old console.
 *
 * @example
 * const assets = createConsoleAssets({ log: console.log })
 * const { manifest } = await assets.current() // { script: 'app-3F2A….js', style: 'app-….css', … }
 */
export function createConsoleAssets(options: {
  distDir?: string
  log: (message: string) => void
}): ConsoleAssets {
  const distDir = options.distDir ?? DIST_DIR
  const manifestPath = join(distDir, 'manifest.json')
  let loaded: Promise<Loaded> | undefined
  // The release (dist/ of the npm tarball) ships the built console without its sources and
  // without esbuild: there is nothing to compare the build with or to rebuild it from.
  const sourcesShipped = existsSync(join(ROOT, 'console/src'))

  /** Why `manifest` (made at `at`) no longer matches its sources, or undefined. */
  function changedSource(manifest: ConsoleManifest, at: number): string | undefined {
    if (!sourcesShipped) return undefined
    return manifest.inputs.find((input) => mtime(join(ROOT, input)) > at)
  }

  function readDist(): Loaded | string {
    if (!existsSync(manifestPath)) return `${manifestPath} is missing`
    const at = mtime(manifestPath)
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ConsoleManifest
    const changed = changedSource(manifest, at)
    if (changed) return `${changed} changed after console/dist was built`
    const files: ConsoleBundle['files'] = new Map()
    for (const [name, type] of [
      [manifest.script, 'text/javascript; charset=utf-8'],
      [manifest.style, 'text/css; charset=utf-8'],
    ] as const)
      files.set(name, { body: readFileSync(join(distDir, name)), type })
    return { bundle: { manifest, files }, from: 'dist', at }
  }

  async function load(): Promise<Loaded> {
    const dist = readDist()
    if (typeof dist !== 'string') return dist
    if (!sourcesShipped) throw new Error(`${dist}, and this release has no console sources to build it from`)
    options.log(`console: ${dist}; building it in memory (\`npm run build:console\` keeps a build)`)
    const at = Date.now()
    return { bundle: await buildConsoleBundle(), from: 'memory', at }
  }

  function reload(): Promise<Loaded> {
    const next = load()
    // A failed build is not kept: the next request tries again, after the fix.
    next.catch(() => {
      if (loaded === next) loaded = undefined
    })
    loaded = next
    return next
  }

  function isStale(current: Loaded): boolean {
    if (current.from === 'dist' && mtime(manifestPath) !== current.at) return true
    return changedSource(current.bundle.manifest, current.at) !== undefined
  }

  return {
    async current() {
      if (!loaded) return (await reload()).bundle
      const current = await loaded
      return isStale(current) ? (await reload()).bundle : current.bundle
    },
    async latest() {
      return (await (loaded ?? reload())).bundle
    },
  }
}
