import { rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import ts from 'typescript'
import { rewriteDeclarationSpecifiers } from '../sdk/build.ts'

/**
 * Builds `@canary-flags/openfeature` into `openfeature/dist`: `server.js` and `web.js` (ES
 * modules; the SDK and the OpenFeature packages stay imports, resolved by the application, so a
 * bundler picks the SDK's browser build for `web.js`) and `types/`.
 */
const ROOT = dirname(fileURLToPath(import.meta.url))

function emitDeclarations(outDir: string): void {
  const program = ts.createProgram([join(ROOT, 'src/server.ts'), join(ROOT, 'src/web.ts')], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: join(ROOT, 'src'),
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
  })
  const result = program.emit()
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics]
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (name: string) => name, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' }
    throw new Error(ts.formatDiagnostics(diagnostics, host))
  }
}

/** Builds everything into `outDir` (default `openfeature/dist`). */
export async function buildOpenFeature(outDir = join(ROOT, 'dist')): Promise<void> {
  rmSync(outDir, { recursive: true, force: true })
  await build({
    entryPoints: { server: join(ROOT, 'src/server.ts'), web: join(ROOT, 'src/web.ts') },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outdir: outDir,
    external: ['@canary-flags/sdk', '@openfeature/*'],
    logLevel: 'warning',
  })
  emitDeclarations(join(outDir, 'types'))
  rewriteDeclarationSpecifiers(join(outDir, 'types'))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildOpenFeature()
  console.log(`built ${relative(process.cwd(), join(ROOT, 'dist'))}/{server.js,web.js,types/}`)
}
