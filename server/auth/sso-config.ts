import { ROLES, type Role } from '../store/people-contract.ts'

/** Single sign-on with an OpenID Connect provider, as read from `CANARY_OIDC_*` (README "People and approvals"). */
export interface SsoConfig {
  /** `CANARY_OIDC_ISSUER`: the provider's issuer URL; its discovery document is read from it. */
  issuer: URL
  /** `CANARY_OIDC_CLIENT_ID` and `CANARY_OIDC_CLIENT_SECRET`: this server's client at the provider. */
  clientId: string
  clientSecret: string
  /**
   * `CANARY_OIDC_REDIRECT_BASE`: the server's public URL; the callback is `<base>/api/v1/sso/callback`.
   * Empty: `PUBLIC_URL`, else the bound address.
   */
  redirectBase: string
  /** `CANARY_OIDC_GROUPS_CLAIM` (default `groups`): the ID token or userinfo claim listing the person's groups. */
  groupsClaim: string
  /** `CANARY_OIDC_ROLES`: which role each group gives in which environment (`*`: every environment). */
  roleMap: GroupRole[]
  /** `CANARY_OIDC_NAME` (default `SSO`): the provider's name on the console's sign-in button. */
  displayName: string
  /**
   * `CANARY_ADMIN_EMAILS`: lower-case emails whose first single sign-on, while no global admin
   * person exists, makes them one (the first admin without the command line). Empty: none.
   */
  adminEmails?: readonly string[]
}

export interface GroupRole {
  group: string
  environment: string
  role: Role
}

/** A configuration mistake, named by its variable (config.ts turns it into its `ConfigError`). */
export class SsoConfigError extends Error {}

/**
 * `CANARY_OIDC_ROLES`: comma-separated `group=environment:role` entries, e.g.
 * `canary-admins=*:admin,pm=production:editor,pm=staging:approver`. A group may appear several times.
 */
export function parseRoleMap(raw: string): GroupRole[] {
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean)
  if (entries.length === 0) throw new SsoConfigError('CANARY_OIDC_ROLES: names no group (expected group=environment:role, …)')
  return entries.map((entry) => {
    const match = /^([^=]+)=([^:]+):(\w+)$/.exec(entry)
    if (!match) throw new SsoConfigError(`CANARY_OIDC_ROLES: "${entry}" is not group=environment:role`)
    const [, group, environment, role] = match as unknown as [string, string, string, string]
    if (!(ROLES as readonly string[]).includes(role))
      throw new SsoConfigError(`CANARY_OIDC_ROLES: "${entry}": role ${role} is not one of ${ROLES.join(', ')}`)
    return { group: group.trim(), environment: environment.trim(), role: role as Role }
  })
}

/**
 * The roles a person's groups give: for each environment the highest role any of their groups
 * maps to. Empty when no group is mapped (the callback refuses such a sign-in).
 */
export function rolesForGroups(groups: readonly string[], roleMap: readonly GroupRole[]): Record<string, Role> {
  const roles: Record<string, Role> = {}
  for (const { group, environment, role } of roleMap) {
    if (!groups.includes(group)) continue
    const held = roles[environment]
    if (held === undefined || ROLES.indexOf(role) > ROLES.indexOf(held)) roles[environment] = role
  }
  return roles
}

/** `CANARY_ADMIN_EMAILS`: comma-separated emails, each like alice@example.com; lower-cased. */
export function parseAdminEmails(raw: string): string[] {
  const emails = raw.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)
  if (emails.length === 0) throw new SsoConfigError('CANARY_ADMIN_EMAILS: names no email (expected a@example.com,b@example.com)')
  for (const email of emails)
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new SsoConfigError(`CANARY_ADMIN_EMAILS: "${email}" is not an email address`)
  return emails
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim()
  if (!value) throw new SsoConfigError(`${name}: required when CANARY_OIDC_ISSUER is set`)
  return value
}

function url(name: string, raw: string): URL {
  try {
    const parsed = new URL(raw)
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed
  } catch {
    // reported below
  }
  throw new SsoConfigError(`${name}: ${raw} is not an http(s) URL`)
}

/**
 * Reads single sign-on from the environment: off (undefined) unless `CANARY_OIDC_ISSUER` is set;
 * then the client id and secret and the role mapping are required.
 */
export function readSsoConfig(env: NodeJS.ProcessEnv): SsoConfig | undefined {
  const issuer = env.CANARY_OIDC_ISSUER?.trim()
  const adminEmails = env.CANARY_ADMIN_EMAILS === undefined || env.CANARY_ADMIN_EMAILS === '' ? [] : parseAdminEmails(env.CANARY_ADMIN_EMAILS)
  if (!issuer) {
    if (env.CANARY_SSO_ONLY === '1') throw new SsoConfigError('CANARY_SSO_ONLY: needs CANARY_OIDC_ISSUER (else nobody could sign in)')
    if (adminEmails.length > 0)
      throw new SsoConfigError('CANARY_ADMIN_EMAILS: needs CANARY_OIDC_ISSUER (the first admin is made by a single sign-on; without it use canary users create --admin)')
    return undefined
  }
  const redirectBase = env.CANARY_OIDC_REDIRECT_BASE?.trim()
  return {
    issuer: url('CANARY_OIDC_ISSUER', issuer),
    clientId: required(env, 'CANARY_OIDC_CLIENT_ID'),
    clientSecret: required(env, 'CANARY_OIDC_CLIENT_SECRET'),
    redirectBase: redirectBase ? url('CANARY_OIDC_REDIRECT_BASE', redirectBase).href.replace(/\/$/, '') : '',
    groupsClaim: env.CANARY_OIDC_GROUPS_CLAIM?.trim() || 'groups',
    roleMap: parseRoleMap(required(env, 'CANARY_OIDC_ROLES')),
    displayName: env.CANARY_OIDC_NAME?.trim() || 'SSO',
    adminEmails,
  }
}

/** `CANARY_SSO_ONLY=1`: password sign-in is refused (403); only other values than `1` and `0`/unset are mistakes. */
export function readSsoOnly(env: NodeJS.ProcessEnv): boolean {
  const raw = env.CANARY_SSO_ONLY
  if (raw === undefined || raw === '' || raw === '0') return false
  if (raw === '1') return true
  throw new SsoConfigError(`CANARY_SSO_ONLY: ${raw} is not 1 or 0`)
}
