import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { npm, run } from './npm.ts'

/**
 * The README's "Using the SDK" install steps, exactly, as an outside app follows them today:
 * `npm pack` of both workspaces in the repository, then in an empty folder outside it the SDK
 * tarball, then the OpenFeature tarball (after the SDK's: it depends on `@canary-flags/sdk`,
 * which the registry does not have). An app script there imports both, connects to a real
 * server on loopback and evaluates a flag. Packages come from npm's cache when it has them.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Two installs from the registry or its cache on a busy 2-core machine. */
const SLOW = 5 * 60_000

const APP = `import { createClient } from '@canary-flags/sdk'
import { OpenFeature } from '@openfeature/server-sdk'
import { CanaryFlagsProvider } from '@canary-flags/openfeature/server'

const [url, key] = process.argv.slice(2)
const flags = createClient({ url, key })
await flags.ready({ timeoutMs: 20000 })
const sdk = flags.isEnabled('checkout-v2', { userId: 'u1' })
const typo = flags.explain('chekout-v2', { userId: 'u1' })
await OpenFeature.setProviderAndWait(new CanaryFlagsProvider({ url, key }))
const openfeature = await OpenFeature.getClient().getBooleanDetails('checkout-v2', false, { targetingKey: 'u1' })
console.log(JSON.stringify({ sdk, typo, openfeature: { value: openfeature.value, reason: openfeature.reason } }))
await flags.close()
await OpenFeature.close()
`

let scratch: string
let server: TestServer

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'canary-sdk-install-'))
  server = await startTestServer()
}, SLOW)

afterAll(async () => {
  await server?.close()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('installing the SDK in an outside app, as the README says', () => {
  it('packs both workspaces, installs the SDK tarball then the OpenFeature one, and evaluates a flag from a real server', async () => {
    // In the repository (npm test's pretest has built the packages): the README's first step,
    // with the tarballs written outside the checkout instead of in it.
    const tarballs = join(scratch, 'tarballs')
    await mkdir(tarballs)
    await npm(['pack', '--workspace', 'sdk', '--workspace', 'openfeature', '--pack-destination', tarballs], ROOT)
    const packed = (await readdir(tarballs)).sort()
    expect(packed).toEqual(['canary-flags-openfeature-0.1.0.tgz', 'canary-flags-sdk-0.1.0.tgz'])

    // An empty folder outside the repository: the app.
    const app = join(scratch, 'app')
    await mkdir(app)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'outside-app', private: true, type: 'module' }))
    await npm(['install', '--prefer-offline', join(tarballs, 'canary-flags-sdk-0.1.0.tgz')], app)
    await npm(['install', '--prefer-offline', join(tarballs, 'canary-flags-openfeature-0.1.0.tgz'), '@openfeature/server-sdk'], app)

    await server.api('POST', '/api/v1/flags', { key: 'checkout-v2' })
    const on = await server.api('PATCH', '/api/v1/environments/production/flags/checkout-v2', {
      enabled: true,
      cohorts: [{ name: 'everyone', conditions: [], rollout: 100 }],
    })
    expect(on.status).toBe(200)
    const key = await server.createKey('server', 'production')
    await writeFile(join(app, 'app.mjs'), APP)
    const { stdout } = await run(process.execPath, ['app.mjs', server.url, key], { cwd: app, timeout: 60_000 })
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      sdk: true,
      typo: { enabled: false, reason: 'unknown_flag' },
      openfeature: { value: true, reason: 'TARGETING_MATCH' },
    })
  }, SLOW)
})
