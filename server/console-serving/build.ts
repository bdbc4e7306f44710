import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BuildOptions, OutputFile } from 'esbuild'

/**
 * Builds the web console (a small `hono/jsx/dom` app) into `console/dist/`:
 * `app-<hash>.js`, `app-<hash>.css` and `manifest.json`, which names them and lists every
 * source the bundle was made from (so the server can tell a stale build from a fresh one).
 *
 * Run with `npm run build:console` (also part of the root `prepare`, so `npm install` builds it).
 */

/** The repository root (this file is server/console-serving/): the manifest's input paths are relative to it. */
export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
/** The console app (console/src) and its build (console/dist). */
export const CONSOLE_DIR = join(ROOT, 'console')
export const DIST_DIR = join(CONSOLE_DIR, 'dist')

/** What the server needs to know about a build. */
export interface ConsoleManifest {
  script: string
  style: string
  /** Source files (relative to the repository root) the bundle was built from. */
  inputs: string[]
}

export interface ConsoleBundle {
  manifest: ConsoleManifest
  files: Map<string, { body: Uint8Array; type: string }>
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

const typeOf = (name: string) =>
  CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream'

/** esbuild options of the console bundle: one ESM entry, CSS beside it, content-hashed names. */
export function consoleBuildOptions(): BuildOptions & { metafile: true; write: false } {
  return {
    entryPoints: [join(CONSOLE_DIR, 'src/main.tsx')],
    // Metafile inputs come out relative to the repository root, as the manifest stores them.
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx/dom',
    minify: true,
    legalComments: 'none',
    entryNames: 'app-[hash]',
    outdir: DIST_DIR,
    metafile: true,
    write: false,
    logLevel: 'silent',
  }
}

/** Builds the console in memory; nothing is written, so concurrent servers cannot race. */
export async function buildConsoleBundle(): Promise<ConsoleBundle> {
  const { build } = await import('esbuild')
  const result = await build(consoleBuildOptions())
  const files = new Map<string, { body: Uint8Array; type: string }>()
  const named = (ext: string) => result.outputFiles.find((f: OutputFile) => f.path.endsWith(ext))
  for (const file of result.outputFiles) {
    const name = basename(file.path)
    files.set(name, { body: file.contents, type: typeOf(name) })
  }
  const script = named('.js')
  const style = named('.css')
  if (!script || !style) throw new Error('console build produced no script or no stylesheet')
  const manifest: ConsoleManifest = {
    script: basename(script.path),
    style: basename(style.path),
    inputs: Object.keys(result.metafile.inputs),
  }
  return { manifest, files }
}

/** Builds into `outDir` (default `console/dist`), replacing what was there. */
export async function buildConsole(outDir = DIST_DIR): Promise<ConsoleManifest> {
  const bundle = await buildConsoleBundle()
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  for (const [name, file] of bundle.files) writeFileSync(join(outDir, name), file.body)
  // Written last: a manifest on disk means every file it names is there.
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(bundle.manifest, null, 2))
  return bundle.manifest
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const manifest = await buildConsole()
  console.log(`built ${relative(process.cwd(), DIST_DIR)}/{${manifest.script},${manifest.style}}`)
}
