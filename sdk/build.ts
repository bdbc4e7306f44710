import { rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type BuildOptions, type Metafile } from 'esbuild'
import ts from 'typescript'

/**
 * Builds the SDK package into `sdk/dist/`:
 *
 * - `node.js`: the Node entry, bundled, its dependencies (`ws`, `murmurhash`, …) left as imports.
 * - `browser.js`: the browser entry, bundled and minified, with nothing from `ws`, the rules
 *   engine or its dependencies (checked here, so a stray import fails the build, not the page).
 * - `types/`: declarations for both entries.
 *
 * Run with `npm run build:sdk` (also the root `prepare` script, so a fresh clone builds it).
 */

const SDK = dirname(fileURLToPath(import.meta.url))

/**
 * Inputs the browser bundle must never contain: `ws` (Node only), and the rules engine with its
 * dependencies (a browser holds per-user results from the server, never rules).
 */
export const FORBIDDEN_IN_BROWSER: readonly RegExp[] = [
  /(^|\/)node_modules\/(ws|semver|re2js|murmurhash)\//,
  /(^|\/)sdk\/core\/(evaluate|ruleset|conditions|bucket|murmur3|iso-date)\.ts$/,
  /^node:/,
]

/** Bundle inputs of a build that match `FORBIDDEN_IN_BROWSER`. */
export function forbiddenInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((input) =>
    FORBIDDEN_IN_BROWSER.some((pattern) => pattern.test(input)),
  )
}

/**
 * esbuild options of the browser bundle (shared by the build, the size benchmark and the
 * browser test, so all three measure and run the same thing).
 */
export function browserBuildOptions(): BuildOptions & { metafile: true } {
  return {
    entryPoints: [join(SDK, 'browser.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
  }
}

function nodeBuildOptions(): BuildOptions {
  return {
    entryPoints: [join(SDK, 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Installed alongside the SDK as its dependencies; bundling them would duplicate `ws`.
    packages: 'external',
    logLevel: 'silent',
  }
}

/** Builds the browser bundle to `outfile` and fails when a forbidden module got in. */
export async function buildBrowser(outfile: string): Promise<void> {
  const result = await build({ ...browserBuildOptions(), outfile })
  const forbidden = forbiddenInputs(result.metafile)
  if (forbidden.length > 0) {
    throw new Error(`the browser bundle must not contain: ${forbidden.join(', ')}`)
  }
}

function emitDeclarations(outDir: string): void {
  const program = ts.createProgram([join(SDK, 'index.ts'), join(SDK, 'browser.ts')], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: SDK,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    // `./x.ts` in sources becomes `./x.js` in declarations, which every consumer resolves.
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
  })
  const result = program.emit()
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics]
  if (diagnostics.length > 0) {
    const host = {
      getCanonicalFileName: (name: string) => name,
      getCurrentDirectory: () => SDK,
      getNewLine: () => '\n',
    }
    throw new Error(ts.formatDiagnostics(diagnostics, host))
  }
}

/** Builds everything into `outDir` (default `sdk/dist`). */
export async function buildSdk(outDir = join(SDK, 'dist')): Promise<void> {
  rmSync(outDir, { recursive: true, force: true })
  await Promise.all([
    build({ ...nodeBuildOptions(), outfile: join(outDir, 'node.js') }),
    buildBrowser(join(outDir, 'browser.js')),
  ])
  emitDeclarations(join(outDir, 'types'))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = join(SDK, 'dist')
  await buildSdk(outDir)
  console.log(`built ${relative(process.cwd(), outDir)}/{node.js,browser.js,types/}`)
}
