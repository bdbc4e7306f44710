import { hostname } from 'node:os'
import * as shapes from '../../api-shapes/index.ts'
import { noPositionals, parseCommand, required } from './args.ts'
import type { Command } from './command.ts'
import { storeToken } from './credentials-file.ts'
import { CliError } from './errors.ts'
import { DEFAULT_URL } from './http.ts'
import { passwordInput } from './password-input.ts'
import { expectShape } from './shape.ts'

const TIMEOUT_MS = 15_000

/** One call of the login exchange; a refusal becomes a one-line CliError with the server's words. */
async function call(url: string, method: string, path: string, init: { body?: unknown; cookie?: string }): Promise<{ response: Response; json: unknown }> {
  let response: Response
  try {
    response = await fetch(url + path, {
      method,
      headers: {
        accept: 'application/json',
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
        ...(init.cookie !== undefined && { cookie: init.cookie, 'x-canary-csrf': '1' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`, 1, { cause: error })
  }
  const text = await response.text()
  const json: unknown = text ? JSON.parse(text) : undefined
  if (!response.ok) {
    const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? response.statusText
    throw new CliError(`${method} ${path}: ${response.status} ${message}`)
  }
  return { response, json }
}

/**
 * `canary login --email E [--url U] [--name N]`: signs in with a password, makes a personal
 * token for this machine, signs the session out again and keeps only the token (mode 0600,
 * credentials-file.ts). Later commands to that URL use it when no --key or CANARY_KEY is given.
 * The token acts with the person's roles at each use and is revoked with
 * `DELETE /api/v1/tokens/{id}` (or by removing the person).
 */
export const login: Command = {
  synopsis: '--email E [--url U] [--name TOKEN-NAME] [--password-stdin]',
  summary: 'sign in as a person (password from CANARY_PASSWORD or --password-stdin) and store a personal API token for this CLI',
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { url: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
      'login',
    )
    noPositionals(positionals, 'login')
    const email = required(values.email, '--email <email>', 'login')
    const url = (values.url ?? (io.env.CANARY_URL || DEFAULT_URL)).replace(/\/+$/, '')
    const password = await passwordInput(values, io)
    if (password === undefined) throw new CliError('no password: set CANARY_PASSWORD or pass --password-stdin')
    const signIn = await call(url, 'POST', '/api/v1/session', { body: { email, password } })
    const cookie = signIn.response.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('canary_session='))
    if (!cookie) throw new CliError(`${url} signed in but set no session cookie`)
    const name = values.name ?? `cli on ${hostname()}`
    try {
      const created = expectShape(shapes.createdToken, (await call(url, 'POST', '/api/v1/tokens', { body: { name }, cookie })).json, 'token')
      const path = storeToken(url, { token: created.secret, email }, io.env)
      io.out(`signed in to ${url} as ${email}; personal token "${created.name}" (id ${created.id}) stored in ${path}`)
    } finally {
      // The CLI keeps the token only; the session it signed in with ends now.
      await call(url, 'DELETE', '/api/v1/session', { cookie })
    }
  },
}
