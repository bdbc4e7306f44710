// Compiles the server, the CLI and what they import into dist/ (tsc, tsconfig.build.json), then
// copies the files they read at run time beside them: migrations/ and the built console. Paths
// in the sources are relative to each module (`../../migrations` from server/store/), so the
// same relative layout inside dist/ keeps them right without a second way of finding files.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const dist = join(root, 'dist')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

if (!existsSync(join(root, 'console/dist/manifest.json'))) {
  console.error('build:server: console/dist is missing; run `npm run build:console` first')
  process.exit(1)
}
rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
cpSync(join(root, 'migrations'), join(dist, 'migrations'), { recursive: true })
cpSync(join(root, 'console/dist'), join(dist, 'console/dist'), { recursive: true })
console.log('built dist/ (server, CLI, migrations, console)')
