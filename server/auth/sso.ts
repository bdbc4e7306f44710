import * as client from 'openid-client'
import type { Role } from '../store/people-contract.ts'
import { rolesForGroups, type SsoConfig } from './sso-config.ts'

/** The path the provider sends people back to (registered at the provider as `<redirect base>` + this). */
export const SSO_CALLBACK_PATH = '/api/v1/sso/callback'

/** What one sign-in attempt keeps between its start and its callback (in a short-lived httpOnly cookie). */
export interface SsoAttempt {
  state: string
  nonce: string
  codeVerifier: string
}

/** A person the provider vouched for, with the roles their groups give. */
export interface SsoPerson {
  email: string
  name: string
  groups: string[]
  rolesByEnvironment: Record<string, Role>
  /** Named in `CANARY_ADMIN_EMAILS`: becomes the first global admin if there is none yet. */
  namedAdmin: boolean
}

/** Why a callback is refused: the person sees this message (never a secret), status 400. */
export class SsoRefusal extends Error {
  constructor(
    message: string,
    /** The email the provider named, when it got that far (the audit entry's actor). */
    readonly email?: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** Plain HTTP is allowed only to a provider on this machine (tests, a local Keycloak); anything else must be HTTPS. */
const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)

const claimStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []

/**
 * Single sign-on through `openid-client`: authorization code with PKCE (S256), state and nonce.
 * The provider's discovery document is fetched on the first sign-in and kept (a failed fetch is
 * retried on the next one).
 *
 * @example
 * const sso = createSso(config, () => publicUrl)
 * const { url, attempt } = await sso.start()       // redirect to url, keep attempt in a cookie
 * const person = await sso.finish(callbackUrl, attempt)
 */
export function createSso(config: SsoConfig, serverUrl: () => string) {
  let discovered: Promise<client.Configuration> | undefined
  // Known once the server listens (the bound address when neither base nor PUBLIC_URL is set).
  const redirectUri = () => (config.redirectBase || serverUrl()).replace(/\/$/, '') + SSO_CALLBACK_PATH

  function provider(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(config.issuer, config.clientId, config.clientSecret, undefined, isLoopback(config.issuer) ? { execute: [client.allowInsecureRequests] } : undefined)
      .catch((error: unknown) => {
        discovered = undefined
        throw error
      })
    return discovered
  }

  async function start(): Promise<{ url: URL; attempt: SsoAttempt }> {
    const configuration = await provider()
    const attempt = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() }
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri(),
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier),
      code_challenge_method: 'S256',
      state: attempt.state,
      nonce: attempt.nonce,
    })
    return { url, attempt }
  }

  /** Exchanges the code (checking state, nonce and PKCE), reads email, name and groups, and maps the groups to roles. */
  async function finish(callbackUrl: URL, attempt: SsoAttempt): Promise<SsoPerson> {
    const configuration = await provider()
    // The callback's own URL, as the provider sent it, but on the registered redirect base
    // (behind a proxy the request's URL is the internal one).
    const current = new URL(redirectUri())
    current.search = callbackUrl.search
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: attempt.codeVerifier,
        expectedState: attempt.state,
        expectedNonce: attempt.nonce,
        idTokenExpected: true,
      })
    } catch (error) {
      throw new SsoRefusal(`the provider's answer was refused: ${(error as Error).message}`, undefined, { cause: error })
    }
    const claims: Record<string, unknown> = { ...tokens.claims() }
    // Providers that keep groups or email out of the ID token give them at the userinfo endpoint.
    if (claims.email === undefined || claims[config.groupsClaim] === undefined) {
      const sub = typeof claims.sub === 'string' ? claims.sub : client.skipSubjectCheck
      Object.assign(claims, { ...(await client.fetchUserInfo(configuration, tokens.access_token, sub)), ...claims })
    }
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : ''
    if (!email) throw new SsoRefusal('the provider named no email for this account (ask for the "email" scope and claim)')
    if (claims.email_verified === false) throw new SsoRefusal(`the provider has not verified the email ${email}`, email)
    const groups = claimStrings(claims[config.groupsClaim])
    const rolesByEnvironment = rolesForGroups(groups, config.roleMap)
    if (Object.keys(rolesByEnvironment).length === 0)
      throw new SsoRefusal(`${email} is in no group that CANARY_OIDC_ROLES gives a role (claim "${config.groupsClaim}": ${groups.join(', ') || 'none'})`, email)
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : email
    return { email, name, groups, rolesByEnvironment, namedAdmin: config.adminEmails?.includes(email) ?? false }
  }

  return { start, finish, displayName: config.displayName }
}

export type Sso = ReturnType<typeof createSso>
