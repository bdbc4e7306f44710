import { join } from 'node:path'
import { build } from 'esbuild'
import { RESULTS_DIR } from './results.ts'

/**
 * Bundles a child script (and the SDK sources it imports) to plain JavaScript once, so each
 * fresh child starts without a TypeScript loader: faster, and no loader thread in its memory
 * figures. Packages stay external and load from node_modules as in an application; code
 * splitting keeps each SDK adapter in its own chunk, so a child loads only the SDK it measures.
 */
export async function buildChild(entry: string, name: string): Promise<string> {
  const outdir = join(RESULTS_DIR, '.build', name)
  await build({
    entryPoints: { main: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  })
  return join(outdir, 'main.mjs')
}
