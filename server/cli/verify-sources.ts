import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { User } from '../../sdk/core/types.ts'
import { userToLaunchDarklyContext } from '../import/launchdarkly-map.ts'
import { fromUnleashExport, isUnleashExport } from '../import/unleash-export.ts'
import { CliError } from './errors.ts'

/**
 * The source products' own answers for `canary verify`, from their official server SDKs run
 * offline on the same file: `unleash-client` bootstrapped with the file (its polling URL is
 * unreachable on purpose), `@launchdarkly/node-server-sdk` with its file data source. They are
 * development dependencies of this repository, loaded only here: run `canary verify` from a
 * checkout (`npm ci`), or install them beside the package (README "Coming from Unleash /
 * LaunchDarkly").
 */

export interface SourceSdk {
  answers(user: User): Promise<ReadonlyMap<string, boolean>>
  close(): Promise<void>
}

async function load<T>(name: string, loader: () => Promise<T>): Promise<T> {
  try {
    return await loader()
  } catch (error) {
    throw new CliError(
      `canary verify needs the official SDK ${name}, a development dependency: run it from a checkout after npm ci, or npm install --no-save ${name} next to canary-flags`,
      1,
      { cause: error },
    )
  }
}

/** Unleash context fields; everything else goes in `properties`. */
const UNLEASH_FIELDS = new Set(['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'])

export function userToUnleashContext(user: User): Record<string, unknown> {
  const context: Record<string, unknown> = {}
  const properties: Record<string, string> = {}
  for (const [name, value] of Object.entries(user)) {
    if (UNLEASH_FIELDS.has(name)) context[name] = typeof value === 'number' ? String(value) : value
    else properties[name] = String(value)
  }
  return { ...context, properties }
}

export async function unleashSdk(file: unknown, sourceEnvironment: string | undefined, deadlineMs = 30_000): Promise<SourceSdk> {
  const { Unleash, InMemStorageProvider } = await load('unleash-client', () => import('unleash-client'))
  const document = (isUnleashExport(file) ? fromUnleashExport(file, sourceEnvironment) : file) as { features: Array<{ name: string }> }
  const client = new Unleash({
    // Nothing listens on port 9 (discard): the only data is the bootstrap.
    url: 'http://127.0.0.1:9/api',
    appName: 'canary-verify',
    disableMetrics: true,
    refreshInterval: 0,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { bootstrapProvider: { readBootstrap: async () => document as never } },
  })
  // The unreachable URL reports a fetch error; the bootstrap is what verify evaluates.
  client.on('error', () => {})
  client.on('warn', () => {})
  await Promise.race([
    once(client, 'ready'),
    new Promise((_, reject) => setTimeout(() => reject(new CliError('unleash-client did not load the file (no ready event)')), deadlineMs).unref()),
  ])
  const names = document.features.map((f) => f.name)
  return {
    async answers(user) {
      const context = userToUnleashContext(user)
      return new Map(names.map((name) => [name, client.isEnabled(name, context as never)]))
    },
    async close() {
      client.destroy()
    },
  }
}

export async function launchDarklySdk(file: unknown): Promise<SourceSdk> {
  const ld = await load('@launchdarkly/node-server-sdk', () => import('@launchdarkly/node-server-sdk'))
  const dir = mkdtempSync(join(tmpdir(), 'canary-verify-'))
  const path = join(dir, 'flags.json')
  writeFileSync(path, JSON.stringify(file))
  const source = new ld.integrations.FileDataSourceFactory({ paths: [path] })
  const client = ld.init('canary-verify-offline', {
    updateProcessor: source.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: ld.basicLogger({ level: 'none' }),
  })
  try {
    await client.waitForInitialization({ timeout: 30 })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw new CliError(`@launchdarkly/node-server-sdk could not load the file: ${(error as Error).message}`, 1, { cause: error })
  }
  return {
    async answers(user) {
      const state = await client.allFlagsState(userToLaunchDarklyContext(user) as never)
      const values = state.allValues()
      return new Map(Object.entries(values).map(([key, value]) => [key, value === true]))
    },
    async close() {
      client.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
