import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { parseRoleMap, type SsoConfig } from '../../server/auth/sso-config.ts'

export interface TestAccount {
  /** Empty: the provider names no email for this account. */
  email: string
  name: string
  groups: string[]
}

export interface TestProvider {
  /** The issuer URL (http on loopback; known before the client is registered). */
  issuer: string
  clientId: string
  clientSecret: string
  /** Registers the one client with this redirect URI and starts answering. */
  register(redirectUri: string): void
  /** The server's single sign-on settings for this provider: `roles` as in `CANARY_OIDC_ROLES`. */
  ssoConfig(roles: string, more?: Partial<SsoConfig>): SsoConfig
  close(): Promise<void>
}

/**
 * A real OpenID provider (`oidc-provider`, its development login and consent pages: any password
 * signs in the account named as login) on a loopback port. Its port is bound first so that the
 * server under test can be configured with the issuer before the provider knows the server's
 * redirect URI. Groups are given in the `profile` scope (so at the userinfo endpoint).
 *
 * @example
 * const idp = await startTestProvider({ ada: { email: 'ada@example.com', name: 'Ada', groups: ['pm'] } })
 * const server = await startTestServer({ sso: idp.ssoConfig('pm=production:editor') })
 * idp.register(`${server.url}/api/v1/sso/callback`)
 */
export async function startTestProvider(accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const clientId = 'canary-console'
  const clientSecret = 'a-client-secret-for-the-test-provider'
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end()
  const server: Server = createServer((req, res) => handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    issuer,
    clientId,
    clientSecret,
    ssoConfig: (roles, more) => ({
      issuer: new URL(issuer),
      clientId,
      clientSecret,
      redirectBase: '',
      groupsClaim: 'groups',
      roleMap: parseRoleMap(roles),
      displayName: 'Test IdP',
      ...more,
    }),
    register(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri] }],
        cookies: { keys: ['test-provider-cookie-key'] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
        async findAccount(_ctx, id) {
          const account = accounts[id]
          if (!account) return undefined
          return {
            accountId: id,
            claims: () => ({ sub: id, name: account.name, groups: account.groups, ...(account.email && { email: account.email, email_verified: true }) }),
          }
        },
      })
      handle = provider.callback()
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
