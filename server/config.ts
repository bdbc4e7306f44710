import type { ClientLimitSettings } from './rate-limit/client-limits.ts'

/** Environment variables of the client-key rate limits (README "Rate limits"). */
const CLIENT_LIMIT_VARIABLES: ReadonlyArray<[keyof ClientLimitSettings, string, number]> = [
  ['identitiesPerConnectionPerMinute', 'CANARY_CLIENT_IDENTITIES_PER_MINUTE', 1],
  ['evaluationsPerAddressPerMinute', 'CANARY_CLIENT_EVALUATIONS_PER_MINUTE', 1],
  ['connectionsPerAddressPerMinute', 'CANARY_CLIENT_CONNECTIONS_PER_MINUTE', 1],
  ['openConnectionsPerAddress', 'CANARY_CLIENT_OPEN_CONNECTIONS', 1],
  ['authFailuresPerAddressPerMinute', 'CANARY_AUTH_FAILURES_PER_MINUTE', 1],
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
import { MAX_KEY_RECHECK_MS } from './auth/key-index.ts'
import { MAX_STREAM_TOKEN_TTL_MS } from './ofrep/stream-token.ts'
import { LOG_LEVELS, type LogFormat, type LogLevel } from './observability/logger.ts'
import type { WebhookOptions } from './guard/webhook.ts'
import { parseAllowList } from './outbound/address-policy.ts'
import { readSsoConfig, readSsoOnly, SsoConfigError, type SsoConfig } from './auth/sso-config.ts'

/**
 * `CANARY_WEBHOOK_ALLOW` (private addresses or ranges a webhook may reach; default none),
 * `CANARY_WEBHOOK_TIMEOUT_MS` (default 5000) and `CANARY_WEBHOOK_MAX_RESPONSE_BYTES` (default 65536).
 */
function readWebhook(env: NodeJS.ProcessEnv): WebhookOptions {
  const webhook: WebhookOptions = {}
  if (env.CANARY_WEBHOOK_ALLOW) {
    try {
      webhook.allow = parseAllowList(env.CANARY_WEBHOOK_ALLOW)
    } catch (error) {
      throw new ConfigError(`CANARY_WEBHOOK_ALLOW: ${(error as Error).message}`)
    }
  }
  if (env.CANARY_WEBHOOK_TIMEOUT_MS) webhook.timeoutMs = positive('CANARY_WEBHOOK_TIMEOUT_MS', env.CANARY_WEBHOOK_TIMEOUT_MS)
  if (env.CANARY_WEBHOOK_MAX_RESPONSE_BYTES)
    webhook.maxResponseBytes = positive('CANARY_WEBHOOK_MAX_RESPONSE_BYTES', env.CANARY_WEBHOOK_MAX_RESPONSE_BYTES)
  return webhook
}

/** Everything the server reads from its environment and command line, read once, checked once. */
export interface Config {
  port: number
  host: string
  databasePath: string
  /**
   * `DATABASE_URL` (`postgres://…`): store everything in PostgreSQL instead of the SQLite file;
   * several servers on one database run as replicas.
   */
  databaseUrl?: string | undefined
  /** Set to create this admin key on first start instead of a random one (scripted setups). */
  adminKey: string | undefined
  /** Base URL printed for people; empty means the bound address (loopback when bound to all). */
  publicUrl: string
  /** Client-key rate limits that differ from the documented defaults. */
  clientLimits?: Partial<ClientLimitSettings>
  /** `LOG_FORMAT`: `json` lines for log shippers, `pretty` (default) for a terminal. */
  logFormat?: LogFormat
  /** `LOG_LEVEL` (default info). */
  logLevel?: LogLevel
  /**
   * `METRICS_PORT`: serve `/metrics` without a key on this port (bind it where only Prometheus
   * reaches). Unset: `/metrics` is on the main port and needs an admin key.
   */
  metricsPort?: number | undefined
  /** `METRICS_HOST` (default 127.0.0.1, not `HOST`): where the keyless metrics port binds. */
  metricsHost?: string | undefined
  /** `METRICS_ALLOWED_HOSTS`: host names the metrics port answers besides IP addresses and localhost. */
  metricsAllowedHosts?: string[] | undefined
  /**
   * `CANARY_STREAM_COMPRESSION` (default `on`): permessage-deflate for stream frames of 1 KiB
   * and more (coalesced changes, snapshots), each frame deflated once for every SDK; `off` sends
   * text only (see the README's measurements).
   */
  streamCompression?: boolean
  /**
   * `CANARY_RECONNECT_RATE` (default 1000): on graceful shutdown, the SDKs are asked to spread
   * their reconnects so that the successor sees about this many new connections a second
   * (a window of `connections ÷ rate`, at least 1 s). Raise it for a machine that accepts more.
   */
  reconnectRate?: number
  /** `CANARY_MAX_RULES_BYTES` (default 16 MiB): the bound of one environment's cohorts and segments, as JSON. */
  maxRulesBytes?: number | undefined
  /** `CANARY_WRITES_PER_KEY_PER_SECOND` (default 20): admin API writes per key; turning a flag off is exempt. */
  writesPerKeyPerSecond?: number | undefined
  /** `CANARY_AUDIT_RETENTION_DAYS` (default unset: the audit log is kept for ever, append-only). */
  auditRetentionDays?: number | undefined
  /** Webhook delivery: private targets allowed, timeout, answer cap (`readWebhook`). */
  webhook?: WebhookOptions
  /**
   * `CANARY_KEY_RECHECK_SECONDS` (default 30, at most 60): how often the keys of open WebSockets
   * and OFREP event streams are re-checked against the database. A revocation closes them at
   * once on every replica; this bounds how long one lost notification could leave one open.
   */
  keyRecheckMs?: number
  /**
   * OFREP event streams: `CANARY_OFREP_STREAM_TOKEN_SECONDS` (default 600, at most 86400), how
   * long an event-stream URL is valid (a stream open at the expiry ends then), and
   * `CANARY_OFREP_STREAMS_PER_TOKEN` (default 2), open streams per URL at once.
   */
  ofrepStreams?: { tokenTtlMs?: number | undefined; streamsPerToken?: number | undefined }
  /** Single sign-on with OpenID Connect (`CANARY_OIDC_*`, auth/sso-config.ts); unset: off. */
  sso?: SsoConfig | undefined
  /** `CANARY_SSO_ONLY=1`: password sign-in is refused; people sign in through the provider. */
  ssoOnly?: boolean
}

export class ConfigError extends Error {}

/**
 * The shortest operator-chosen admin key (`CANARY_ADMIN_KEY`) started without a warning. Keys
 * the server makes are 43 random characters; a human-chosen one needs length to be unguessable.
 */
export const MIN_OPERATOR_KEY_LENGTH = 32

/** The loud start-up warning for a short `CANARY_ADMIN_KEY` (still accepted: refusing it would lock an operator out). */
export function operatorKeyWarning(adminKey: string | undefined): string | undefined {
  if (adminKey === undefined || adminKey.length >= MIN_OPERATOR_KEY_LENGTH) return undefined
  return (
    `WARNING: CANARY_ADMIN_KEY is ${adminKey.length} characters, under the minimum of ${MIN_OPERATOR_KEY_LENGTH}: ` +
    'a short key can be guessed. Replace it: canary keys create --kind admin, then revoke this one (README "Security")'
  )
}

/**
 * Loopback: the admin API and the console are not offered to the network unless asked for
 * (`--host 0.0.0.0` / `HOST`; the container image and the systemd unit set `HOST` themselves).
 */
export const DEFAULT_HOST = '127.0.0.1'

function port(name: string, raw: string): number {
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 65535)
    throw new ConfigError(`${name}: ${raw} is not a TCP port (0–65535)`)
  return value
}

function positive(name: string, raw: string): number {
  const value = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(value) || value < 1)
    throw new ConfigError(`${name}: ${raw} is not a whole number of 1 or more`)
  return value
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T
  throw new ConfigError(`${name}: ${raw} is not one of ${allowed.join(', ')}`)
}

function flagValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  if (i >= 0) return argv[i + 1]
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

/** `CANARY_OFREP_STREAM_TOKEN_SECONDS`: a whole number of seconds from 10 to a day (unset: the default). */
function streamTokenTtlMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const seconds = Number(raw)
  if (!/^\d+$/.test(raw) || seconds < 10 || seconds * 1000 > MAX_STREAM_TOKEN_TTL_MS)
    throw new ConfigError(`CANARY_OFREP_STREAM_TOKEN_SECONDS: ${raw} is not a whole number of seconds from 10 to ${MAX_STREAM_TOKEN_TTL_MS / 1000}`)
  return seconds * 1000
}

/** `CANARY_KEY_RECHECK_SECONDS`: a whole number of seconds from 1 to 60 (unset: the default). */
function keyRecheckMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const seconds = Number(raw)
  if (!/^\d+$/.test(raw) || seconds < 1 || seconds * 1000 > MAX_KEY_RECHECK_MS)
    throw new ConfigError(`CANARY_KEY_RECHECK_SECONDS: ${raw} is not a whole number of seconds from 1 to ${MAX_KEY_RECHECK_MS / 1000}`)
  return seconds * 1000
}

/** Single sign-on's variables, their mistakes reported as configuration errors. */
function readSso(env: NodeJS.ProcessEnv): { sso: SsoConfig | undefined; ssoOnly: boolean } {
  try {
    return { sso: readSsoConfig(env), ssoOnly: readSsoOnly(env) }
  } catch (error) {
    if (error instanceof SsoConfigError) throw new ConfigError(error.message)
    throw error
  }
}

/** `DATABASE_URL`, when set, must be a PostgreSQL URL (anything else is a typo to report now). */
function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError('DATABASE_URL: must be a postgres:// or postgresql:// URL')
  return raw
}

/**
 * `--port`/`PORT` (default 4242), `--host`/`HOST` (default 127.0.0.1), `--db`/`DATABASE_PATH`
 * (default ./data/canary-flags.db), `CANARY_ADMIN_KEY`, `PUBLIC_URL`, `LOG_FORMAT`, `LOG_LEVEL`,
 * `--metrics-port`/`METRICS_PORT`, `CANARY_STREAM_COMPRESSION`, `CANARY_RECONNECT_RATE`, `CANARY_KEY_RECHECK_SECONDS`, `CANARY_OFREP_STREAM_TOKEN_SECONDS`, `CANARY_OFREP_STREAMS_PER_TOKEN`, and the client-key rate limits
 * (`CANARY_CLIENT_*`, `CANARY_TRUSTED_PROXIES`), and single sign-on (`CANARY_OIDC_*`, `CANARY_SSO_ONLY`, `CANARY_ADMIN_EMAILS`).
 */
export function readConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const rawPort = flagValue(argv, 'port') ?? env.PORT ?? '4242'
  const adminKey = env.CANARY_ADMIN_KEY || undefined
  if (adminKey !== undefined && adminKey.length < 16)
    throw new ConfigError('CANARY_ADMIN_KEY: must be at least 16 characters')
  const metricsPort = flagValue(argv, 'metrics-port') ?? env.METRICS_PORT
  return {
    port: port('port', rawPort),
    host: flagValue(argv, 'host') || env.HOST || DEFAULT_HOST,
    databasePath: flagValue(argv, 'db') ?? env.DATABASE_PATH ?? './data/canary-flags.db',
    databaseUrl: databaseUrl(env.DATABASE_URL),
    adminKey,
    publicUrl: env.PUBLIC_URL ?? '',
    clientLimits: readClientLimits(env),
    logFormat: oneOf('LOG_FORMAT', env.LOG_FORMAT || 'pretty', ['pretty', 'json'] as const),
    logLevel: oneOf('LOG_LEVEL', env.LOG_LEVEL || 'info', LOG_LEVELS),
    metricsHost: env.METRICS_HOST || undefined,
    metricsAllowedHosts: (env.METRICS_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    metricsPort: metricsPort === undefined || metricsPort === '' ? undefined : port('METRICS_PORT', metricsPort),
    reconnectRate: env.CANARY_RECONNECT_RATE ? positive('CANARY_RECONNECT_RATE', env.CANARY_RECONNECT_RATE) : undefined,
    webhook: readWebhook(env),
    maxRulesBytes: env.CANARY_MAX_RULES_BYTES ? positive('CANARY_MAX_RULES_BYTES', env.CANARY_MAX_RULES_BYTES) : undefined,
    writesPerKeyPerSecond: env.CANARY_WRITES_PER_KEY_PER_SECOND
      ? positive('CANARY_WRITES_PER_KEY_PER_SECOND', env.CANARY_WRITES_PER_KEY_PER_SECOND)
      : undefined,
    auditRetentionDays: env.CANARY_AUDIT_RETENTION_DAYS ? positive('CANARY_AUDIT_RETENTION_DAYS', env.CANARY_AUDIT_RETENTION_DAYS) : undefined,
    keyRecheckMs: keyRecheckMs(env.CANARY_KEY_RECHECK_SECONDS),
    ofrepStreams: {
      tokenTtlMs: streamTokenTtlMs(env.CANARY_OFREP_STREAM_TOKEN_SECONDS),
      streamsPerToken: env.CANARY_OFREP_STREAMS_PER_TOKEN ? positive('CANARY_OFREP_STREAMS_PER_TOKEN', env.CANARY_OFREP_STREAMS_PER_TOKEN) : undefined,
    },
    streamCompression: oneOf('CANARY_STREAM_COMPRESSION', env.CANARY_STREAM_COMPRESSION || 'on', ['on', 'off'] as const) === 'on',
    ...readSso(env),
  }
}
