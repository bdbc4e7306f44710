#!/usr/bin/env node
// The `canary` command. It runs the compiled release in dist/ (built by `npm run build`, which
// `npm install` runs in a checkout and `npm pack` runs before packing), so nothing at run time
// needs TypeScript or tsx.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/server/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  console.error('error: canary-flags is not built (dist/ is missing): run `npm run build`')
  process.exit(2)
}
// Stack traces in logs point at the TypeScript sources (tsc emits the maps beside the code).
process.setSourceMapsEnabled(true)
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
