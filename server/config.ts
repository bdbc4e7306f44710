import type { ClientLimitSettings } from './rate-limit/client-limits.ts'

/** Environment variables of the client-key rate limits (README "Rate limits"). */
const CLIENT_LIMIT_VARIABLES: ReadonlyArray<[keyof ClientLimitSettings, string, number]> = [
  ['identitiesPerConnectionPerMinute', 'CANARY_CLIENT_IDENTITIES_PER_MINUTE', 1],
  ['evaluationsPerAddressPerMinute', 'CANARY_CLIENT_EVALUATIONS_PER_MINUTE', 1],
  ['connectionsPerAddressPerMinute', 'CANARY_CLIENT_CONNECTIONS_PER_MINUTE', 1],
  ['openConnectionsPerAddress', 'CANARY_CLIENT_OPEN_CONNECTIONS', 1],
  ['trustedProxies', 'CANARY_TRUSTED_PROXIES', 0],
]

function readClientLimits(env: NodeJS.ProcessEnv): Partial<ClientLimitSettings> {
  const limits: Partial<ClientLimitSettings> = {}
  for (const [field, variable, min] of CLIENT_LIMIT_VARIABLES) {
    const raw = env[variable]
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min) throw new ConfigError(`${variable}: ${raw} is not an integer ≥ ${min}`)
    limits[field] = value
  }
  return limits
}

/** Everything the server reads from its environment and command line, read once, checked once. */
export interface Config {
  port: number
  host: string
  databasePath: string
  /** Set to create this admin key on first start instead of a random one (scripted setups). */
  adminKey: string | undefined
  /** Base URL printed for people; empty means http://localhost:<listening port>. */
  publicUrl: string
  /** Client-key rate limits that differ from the documented defaults. */
  clientLimits?: Partial<ClientLimitSettings>
}

export class ConfigError extends Error {}

function flagValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  if (i >= 0) return argv[i + 1]
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

/**
 * `--port`/`PORT` (default 4242), `--host`/`HOST` (default 0.0.0.0), `--db`/`DATABASE_PATH`
 * (default ./data/canary-flags.db), `CANARY_ADMIN_KEY`, `PUBLIC_URL`, and the client-key rate
 * limits (`CANARY_CLIENT_*`, `CANARY_TRUSTED_PROXIES`).
 */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const rawPort = flagValue(argv, 'port') ?? env.PORT ?? '4242'
  const port = Number(rawPort)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`port: ${rawPort} is not a TCP port (0–65535)`)
  const adminKey = env.CANARY_ADMIN_KEY || undefined
  if (adminKey !== undefined && adminKey.length < 16)
    throw new ConfigError('CANARY_ADMIN_KEY: must be at least 16 characters')
  return {
    port,
    host: flagValue(argv, 'host') ?? env.HOST ?? '0.0.0.0',
    databasePath: flagValue(argv, 'db') ?? env.DATABASE_PATH ?? './data/canary-flags.db',
    adminKey,
    publicUrl: env.PUBLIC_URL ?? '',
    clientLimits: readClientLimits(env),
  }
}
