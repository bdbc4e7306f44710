// The release build (`npm run build`) and `npm test`'s rebuild before the tests. A build is
// skipped only when a hash of everything it reads (the sources, the build scripts, the package
// and TypeScript settings, the lockfile, Node's version) equals the one recorded by the last
// build that succeeded, AND a hash of what that build wrote (dist/, sdk/dist, openfeature/dist,
// console/dist) is unchanged too. Never file times, never whether dist/ exists: an edit that
// keeps a file's time, a dist/ edited or half deleted, all rebuild.
//
//   node scripts/build-if-changed.mjs            build only when something changed (pretest)
//   node scripts/build-if-changed.mjs --always   build, and record the hashes (npm run build)
//   --root DIR --command CMD                     another tree and build command (the tests)
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/** What the build reads, relative to the root: directories (walked whole) and files. */
export const INPUTS = [
  'api-shapes',
  'console',
  'migrations',
  'openfeature',
  'sdk',
  'server',
  'scripts/build-server.mjs',
  'scripts/build-if-changed.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
]
/** What the build writes. */
export const OUTPUTS = ['dist', 'sdk/dist', 'openfeature/dist', 'console/dist']
/** Never inputs, wherever they sit: build output and installed packages. */
const SKIPPED_DIRECTORIES = new Set(['dist', 'node_modules'])
const STAMP = 'node_modules/.cache/canary-flags/build-stamp.json'

/** Every file under `paths` (sorted, so the hash does not depend on directory order). */
function files(root, path, skip, out) {
  let stat
  try {
    stat = lstatSync(join(root, path))
  } catch (error) {
    if (error.code === 'ENOENT') return out
    throw error
  }
  if (stat.isDirectory()) {
    for (const name of readdirSync(join(root, path)).sort())
      if (!skip.has(name)) files(root, join(path, name), skip, out)
  } else out.push(path)
  return out
}

/**
 * sha256 over each file's path and content (a symlink's target) under `paths`. A missing path
 * hashes as missing, so a deleted output never matches a recorded hash of one that existed.
 */
export function treeHash(root, paths, { skip = new Set(), extra = '' } = {}) {
  const hash = createHash('sha256').update(extra)
  for (const top of paths) {
    const list = files(root, top, skip, [])
    hash.update(`${top}\0${list.length}\0`)
    for (const path of list) {
      const full = join(root, path)
      const link = lstatSync(full).isSymbolicLink()
      const content = link ? readlinkSync(full) : readFileSync(full)
      hash.update(`${relative(root, full)}\0${link ? 'link' : 'file'}\0${content.length}\0`)
      hash.update(content)
    }
  }
  return hash.digest('hex')
}

const inputHash = (root) => treeHash(root, INPUTS, { skip: SKIPPED_DIRECTORIES, extra: `node ${process.version}\0` })
const outputHash = (root) => treeHash(root, OUTPUTS)

function readStamp(root) {
  try {
    return JSON.parse(readFileSync(join(root, STAMP), 'utf8'))
  } catch {
    // No stamp (never built here, or the cache was cleared) or an unreadable one: build.
    return undefined
  }
}

/**
 * Builds unless the inputs and the outputs both hash as recorded. The input hash is taken
 * before building, so a file edited during the build makes the next run build again.
 */
export function ensureBuilt({ root, command, always }) {
  const inputs = inputHash(root)
  const stamp = readStamp(root)
  if (!always && stamp?.inputs === inputs && stamp.outputs === outputHash(root)) {
    console.log(`build skipped: inputs and outputs unchanged since the last build (sha256 ${inputs.slice(0, 12)})`)
    return 0
  }
  console.log(always ? 'building' : `building: ${stamp === undefined ? 'no record of a build here' : stamp.inputs === inputs ? 'the build output changed' : 'sources changed'}`)
  const result = spawnSync(command, { cwd: root, stdio: 'inherit', shell: true })
  if (result.status !== 0) return result.status ?? 1
  mkdirSync(dirname(join(root, STAMP)), { recursive: true })
  writeFileSync(join(root, STAMP), JSON.stringify({ inputs, outputs: outputHash(root), node: process.version }) + '\n')
  return 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { always: { type: 'boolean' }, root: { type: 'string' }, command: { type: 'string' } },
  })
  const root = values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..')
  process.exitCode = ensureBuilt({ root, command: values.command ?? 'npm run build:steps', always: values.always === true })
}
