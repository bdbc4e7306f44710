import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, waitForOutput } from '../cli/run-cli.ts'
import { npm, run } from './npm.ts'

/**
 * The release as an operator and an outside app get it: `scripts/release.sh` (the build, both
 * tarballs, the server installed with `--omit=dev` in an empty folder), then the installed server
 * run with `npx canary`, and the SDK tarball installed in another empty folder outside this
 * repository and type-checked with the oldest TypeScript its README promises (4.7).
 * Everything comes from the registry and the tarballs, as on a fresh machine.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** Installs compile the native SQLite driver and fetch packages: minutes on a busy 2-core machine. */
const SLOW = 15 * 60_000

let out: string
let app: string
let tarballs: string

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'canary-release-'))
  await chmod(out, 0o755)
  // `npm test` has just built dist/ (its pretest); other test files run the CLI from it meanwhile.
  await run('sh', [join(ROOT, 'scripts/release.sh'), out, '--prebuilt'], {
    cwd: ROOT,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  })
  app = join(out, 'app')
  tarballs = join(out, 'tarballs')
}, SLOW)

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true })
})

describe('the packed release, installed with --omit=dev', () => {
  it('holds no dev tool and no TypeScript source', async () => {
    const installed = await readdir(join(app, 'node_modules'))
    for (const devTool of ['typescript', 'tsx', 'vitest', 'esbuild', 'drizzle-kit', 'playwright-core'])
      expect(installed).not.toContain(devTool)
    const release = join(app, 'node_modules/canary-flags')
    expect(await readdir(release)).not.toContain('server')
    expect(await readdir(join(release, 'dist/server'))).toContain('main.js')
  })

  it('`npx canary serve` starts on an empty database, answers /health and serves the console; `npx canary health` agrees', async () => {
    const db = join(out, 'data', 'release.db')
    const server = spawn(
      'npx',
      // No --host: the release's own default (loopback) is what is checked.
      ['canary', 'serve', '--port', '0', '--db', db],
      { cwd: app, env: cleanEnv(), detached: true },
    )
    let output = ''
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise((resolve) => server.once('exit', resolve))
    try {
      const [, port] = await waitForOutput(server, /^canary-flags listening on http:\/\/127\.0\.0\.1:(\d+)$/m)
      const url = `http://127.0.0.1:${port}`
      const health = await fetch(`${url}/health`)
      expect(health.status).toBe(200)
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<script')
      expect(output).toMatch(/^admin key: cf_admin_\S+$/m)
      const { stdout } = await run('npx', ['canary', 'health', '--url', url], {
        cwd: app,
        env: cleanEnv(),
      })
      expect(stdout.trim()).toBe('ok')
    } finally {
      // npx runs the server as its child: stop the whole group, and wait until it is gone.
      process.kill(-server.pid!, 'SIGTERM')
      await exited
    }
  }, SLOW)
})

describe('the SDK tarball in an outside project', () => {
  let consumer: string

  beforeAll(async () => {
    consumer = join(out, 'consumer')
    await mkdir(consumer)
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }),
    )
    const sdkTarball = (await readdir(tarballs)).find((name) => name.startsWith('canary-flags-sdk-'))
    expect(sdkTarball).toBeDefined()
    await npm(['install', join(tarballs, sdkTarball!), 'typescript@4.7'], consumer)
    const use = (importLine: string) => `${importLine}

const flags = createClient({ url: 'http://127.0.0.1:1', key: 'cf_server_x' })
const on: boolean = flags.isEnabled('checkout-v2', { userId: 'u1', region: 'eu-west' })
const explained: { enabled: boolean; reason: string } = flags.explain('checkout-v2', { userId: 'u1' })
flags.recordError('checkout-v2', { userId: 'u1' })
flags.on('change', (keys: readonly string[]) => keys.length)
void flags.close()
export { on, explained }
`
    await writeFile(join(consumer, 'esm.mts'), use(`import { createClient } from '@canary-flags/sdk'`))
    await writeFile(
      join(consumer, 'cjs.cts'),
      use(`import sdk = require('@canary-flags/sdk')\nconst { createClient } = sdk`),
    )
    await writeFile(
      join(consumer, 'browser.mts'),
      `import { createClient } from '@canary-flags/sdk/browser'
import { userFromContext } from '@canary-flags/sdk/openfeature'
const { user } = userFromContext({ targetingKey: 'u1' })
const flags = createClient({ url: 'http://127.0.0.1:1', key: 'cf_client_x', user })
export const on: boolean = flags.isEnabled('checkout-v2')
`,
    )
  }, SLOW)

  it.each(['node16', 'nodenext'])(
    'its declarations compile under TypeScript 4.7 with %s resolution (ESM, CommonJS, the browser and OpenFeature entries)',
    async (resolution) => {
      const tsc = join(consumer, 'node_modules/typescript/bin/tsc')
      const { stdout: version } = await run(process.execPath, [tsc, '--version'], { cwd: consumer })
      expect(version).toMatch(/^Version 4\.7\./)
      const result = await run(
        process.execPath,
        [tsc, '--noEmit', '--strict', '--module', resolution, '--moduleResolution', resolution,
          'esm.mts', 'cjs.cts', 'browser.mts'],
        { cwd: consumer },
      ).catch((error: { stdout: string }) => ({ stdout: `FAILED\n${error.stdout}` }))
      expect(result.stdout).toBe('')
    },
    SLOW,
  )

  it('a type error in the consumer is reported (the check above can fail)', async () => {
    await writeFile(
      join(consumer, 'wrong.mts'),
      `import { createClient } from '@canary-flags/sdk'\nconst n: number = createClient({ url: 'x', key: 'y' }).isEnabled('f', {})\nexport { n }\n`,
    )
    const tsc = join(consumer, 'node_modules/typescript/bin/tsc')
    const failure = await run(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', 'wrong.mts'],
      { cwd: consumer },
    ).then(
      () => 'compiled',
      (error: { stdout: string }) => error.stdout,
    )
    expect(failure).toMatch(/wrong\.mts.*Type 'boolean' is not assignable to type 'number'/)
  }, SLOW)

  it('runs in Node from the tarball (ESM import and CommonJS require)', async () => {
    const script = (load: string) =>
      `${load}; const f = createClient({ url: 'http://127.0.0.1:1', key: 'cf_server_x' }); console.log(typeof f.isEnabled, f.isEnabled('x', { userId: 'u' })); f.close()`
    const esm = await run(process.execPath, ['--input-type=module', '-e', script(`import { createClient } from '@canary-flags/sdk'`)], { cwd: consumer })
    expect(esm.stdout.trim()).toBe('function false')
    const cjs = await run(process.execPath, ['--input-type=commonjs', '-e', script(`const { createClient } = require('@canary-flags/sdk')`)], { cwd: consumer })
    expect(cjs.stdout.trim()).toBe('function false')
  }, SLOW)
})
