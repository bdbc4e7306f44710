// `prepare` runs on `npm install` in a checkout (and before `npm pack`). It builds the release
// with the dev tools (TypeScript, esbuild, tsx). When those are absent (`npm ci --omit=dev` in
// a checkout) there is nothing to build with: say so on one line instead of failing the install.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const missing = ['typescript', 'esbuild', 'tsx'].filter((name) => {
  try {
    require.resolve(`${name}/package.json`)
    return false
  } catch {
    return true
  }
})
if (missing.length > 0) {
  console.log(
    `canary-flags: not building (dev dependencies ${missing.join(', ')} are not installed); ` +
      'install the release tarball (see README, "Running in production") or run `npm install` with dev dependencies',
  )
  process.exit(0)
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const result = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' })
process.exit(result.status ?? 1)
