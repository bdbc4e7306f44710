import { describe, expect, it } from 'vitest'
import { rolesForGroups, parseRoleMap } from '../../../server/auth/sso-config.ts'
import { ConfigError, readConfig } from '../../../server/config.ts'

/** Single sign-on's variables: read once, each mistake named by its variable. */

const SSO_ENV = {
  CANARY_OIDC_ISSUER: 'https://id.example.com/realms/main',
  CANARY_OIDC_CLIENT_ID: 'canary',
  CANARY_OIDC_CLIENT_SECRET: 'secret',
  CANARY_OIDC_ROLES: 'canary-admins=*:admin, pm=production:editor,pm=staging:approver',
}

describe('single sign-on configuration', () => {
  it('is off without CANARY_OIDC_ISSUER, and reads every variable with their defaults when set', () => {
    expect(readConfig([], {}).sso).toBeUndefined()
    const { sso, ssoOnly } = readConfig([], { ...SSO_ENV, CANARY_SSO_ONLY: '1' })
    expect(ssoOnly).toBe(true)
    expect(sso).toMatchObject({ clientId: 'canary', clientSecret: 'secret', groupsClaim: 'groups', displayName: 'SSO', redirectBase: '' })
    expect(sso!.issuer.href).toBe('https://id.example.com/realms/main')
    expect(sso!.roleMap).toEqual([
      { group: 'canary-admins', environment: '*', role: 'admin' },
      { group: 'pm', environment: 'production', role: 'editor' },
      { group: 'pm', environment: 'staging', role: 'approver' },
    ])
    const custom = readConfig([], { ...SSO_ENV, CANARY_OIDC_GROUPS_CLAIM: 'roles', CANARY_OIDC_NAME: 'Keycloak', CANARY_OIDC_REDIRECT_BASE: 'https://flags.example.com/' })
    expect(custom.sso).toMatchObject({ groupsClaim: 'roles', displayName: 'Keycloak', redirectBase: 'https://flags.example.com' })
    expect(sso!.adminEmails).toEqual([])
    expect(readConfig([], { ...SSO_ENV, CANARY_ADMIN_EMAILS: 'Root@Example.com, ops@example.com' }).sso!.adminEmails).toEqual(['root@example.com', 'ops@example.com'])
  })

  it.each([
    [{ CANARY_OIDC_CLIENT_ID: '' }, 'CANARY_OIDC_CLIENT_ID: required'],
    [{ CANARY_OIDC_CLIENT_SECRET: '' }, 'CANARY_OIDC_CLIENT_SECRET: required'],
    [{ CANARY_OIDC_ROLES: '' }, 'CANARY_OIDC_ROLES: required'],
    [{ CANARY_OIDC_ROLES: 'pm=production' }, 'CANARY_OIDC_ROLES: "pm=production" is not group=environment:role'],
    [{ CANARY_OIDC_ROLES: 'pm=production:owner' }, 'CANARY_OIDC_ROLES: "pm=production:owner": role owner is not one of viewer, editor, approver, admin'],
    [{ CANARY_OIDC_ISSUER: 'id.example.com' }, 'CANARY_OIDC_ISSUER: id.example.com is not an http(s) URL'],
    [{ CANARY_OIDC_REDIRECT_BASE: 'flags' }, 'CANARY_OIDC_REDIRECT_BASE: flags is not an http(s) URL'],
    [{ CANARY_SSO_ONLY: 'yes' }, 'CANARY_SSO_ONLY: yes is not 1 or 0'],
    [{ CANARY_OIDC_ISSUER: '', CANARY_SSO_ONLY: '1' }, 'CANARY_SSO_ONLY: needs CANARY_OIDC_ISSUER'],
    [{ CANARY_ADMIN_EMAILS: 'root@example.com,not-an-email' }, 'CANARY_ADMIN_EMAILS: "not-an-email" is not an email address'],
    [{ CANARY_ADMIN_EMAILS: ' , ' }, 'CANARY_ADMIN_EMAILS: names no email'],
    [{ CANARY_OIDC_ISSUER: '', CANARY_ADMIN_EMAILS: 'root@example.com' }, 'CANARY_ADMIN_EMAILS: needs CANARY_OIDC_ISSUER'],
  ])('refuses %o with an error naming the variable', (change, message) => {
    expect(() => readConfig([], { ...SSO_ENV, ...change })).toThrow(ConfigError)
    expect(() => readConfig([], { ...SSO_ENV, ...change })).toThrow(message)
  })

  it('gives each environment the highest role any of the person\'s groups maps to', () => {
    const map = parseRoleMap('viewers=production:viewer,pm=production:editor,pm=staging:approver,admins=*:admin')
    expect(rolesForGroups(['viewers', 'pm'], map)).toEqual({ production: 'editor', staging: 'approver' })
    expect(rolesForGroups(['pm', 'viewers'], map)).toEqual({ production: 'editor', staging: 'approver' })
    expect(rolesForGroups(['admins'], map)).toEqual({ '*': 'admin' })
    expect(rolesForGroups(['everyone'], map)).toEqual({})
  })
})
