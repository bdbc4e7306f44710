import { storedToken } from './credentials-file.ts'
import { CliError } from './errors.ts'
import { environmentsHint, missingEnvironment } from './known-environments.ts'

export const DEFAULT_URL = 'http://127.0.0.1:4242'
const TIMEOUT_MS = 15_000

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Calls the admin API; resolves to the parsed JSON body (undefined for 204). */
export type ApiClient = (method: Method, path: string, body?: unknown) => Promise<unknown>

/**
 * An API path with every interpolated value URL-encoded, so a flag key or cohort name can never
 * change which route is called.
 *
 * @example
 * apiPath`/api/v1/environments/${env}/flags/${key}`
 */
export function apiPath(parts: TemplateStringsArray, ...values: string[]): string {
  return parts.reduce((path, part, i) => path + encodeURIComponent(values[i - 1] ?? '') + part)
}

/**
 * `--url`/`CANARY_URL` and `--key`/`CANARY_KEY` (an API key or a personal token), else the token
 * `canary login` stored for that URL; checked before any request is sent.
 */
export function connectionFrom(
  values: { url?: string | undefined; key?: string | undefined },
  env: NodeJS.ProcessEnv,
): { url: string; key: string } {
  const url = values.url ?? (env.CANARY_URL || DEFAULT_URL)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    const message = `invalid server URL ${url}: expected e.g. ${DEFAULT_URL}`
    throw new CliError(message, 1, { cause: error })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`invalid server URL ${url}: only http and https are supported`)
  const base = url.replace(/\/+$/, '')
  const key = values.key ?? (env.CANARY_KEY || storedToken(base, env))
  if (!key) throw new CliError('no API key: pass --key, set CANARY_KEY, or sign in with canary login')
  return { url: base, key }
}

/**
 * The admin API client. Every failure becomes a one-line CliError: an HTTP error carries the
 * status and the server's `error.message`; a network failure says which URL could not be reached.
 *
 * @example
 * const api = createApiClient(connectionFrom(values, process.env))
 * const flags = await api('GET', '/api/v1/flags')
 */
export function createApiClient({ url, key }: { url: string; key: string }): ApiClient {
  const client: ApiClient = async (method, path, body) => {
    let response: Response
    try {
      response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (error) {
      throw new CliError(`cannot reach ${url}: ${networkReason(error)}`, 1, { cause: error })
    }
    const text = await response.text()
    if (!response.ok) {
      const message = httpErrorMessage(response, text)
      // A typo in --env: name the environments that exist.
      const hint = response.status === 404 && missingEnvironment(message) !== undefined ? await environmentsHint((path) => client('GET', path)) : ''
      throw new CliError(message + hint)
    }
    if (text === '') return undefined
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      throw new CliError(`unexpected response from ${url}${path}: not JSON`, 1, { cause: error })
    }
  }
  return client
}

/** What a 401 adds: the recovery that exists for a lost admin key (README "Lost admin key"). */
export const LOST_KEY_HINT =
  'a lost admin key is replaced offline with canary keys create --kind admin --db <database file> (README "Lost admin key")'

/**
 * `404 Not Found: flag nope not found`, or the start of the body when it is not our JSON; a
 * 401 also says how to make a new admin key.
 */
function httpErrorMessage(response: Response, text: string): string {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  const message = `${status}: ${serverMessage(text) ?? (text.trim().slice(0, 200) || 'no details')}`
  return response.status === 401 ? `${message}; ${LOST_KEY_HINT}` : message
}

function serverMessage(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body !== 'object' || body === null || !('error' in body)) return undefined
    const { error } = body
    if (typeof error !== 'object' || error === null || !('message' in error)) return undefined
    return typeof error.message === 'string' ? error.message : undefined
  } catch {
    // Not JSON (a proxy's HTML page, say): the caller falls back to the raw text.
    return undefined
  }
}

/**
 * Why fetch failed, in words: undici wraps the socket error in `cause`, and Node wraps
 * "tried IPv6 and IPv4, both refused" in an AggregateError whose own message is empty.
 */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`
  let reason: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error
  if (reason instanceof AggregateError && reason.errors.length > 0) reason = reason.errors[0]
  if (reason instanceof Error)
    return reason.message || ('code' in reason ? String(reason.code) : reason.name)
  return String(reason)
}
