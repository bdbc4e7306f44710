import * as z from 'zod/mini'
import { apiKey } from './keys.ts'

/** The roles, weakest first: each may do what the ones before it may (README "People and approvals"). */
export const ROLES = ['viewer', 'editor', 'approver', 'admin'] as const
export const role = z.enum(ROLES)
export type Role = z.infer<typeof role>

/** A role in one environment, or in every one (`environment: "*"`). */
export const membership = z.object({ environment: z.string(), role })

/** A person as listed: never a password or its hash. */
export const person = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  admin: z.boolean(),
  roles: z.array(membership),
  hasPassword: z.boolean(),
  createdAt: z.number(),
})
export const personList = z.object({ items: z.array(person) })

/** `GET /api/v1/session`: who the request acts as — a person (session or token) or an API key. */
export const whoAmI = z.union([
  z.object({ type: z.literal('person'), person, via: z.enum(['session', 'token']) }),
  z.object({ type: z.literal('key'), key: apiKey, peopleExist: z.boolean() }),
])
/** `POST /api/v1/session`: the signed-in person and when the session ends (the cookie carries the secret). */
export const signedIn = z.object({ person, expiresAt: z.number() })

/** `POST /api/v1/session/password`: how many other sessions of the person ended (the one that asked stays). */
export const passwordChanged = z.object({ endedSessions: z.number() })

/**
 * `GET /api/v1/sso`: whether single sign-on is configured, the provider's name for the sign-in
 * button, and whether password sign-in is off (`CANARY_SSO_ONLY`).
 */
export const ssoStatus = z.object({ enabled: z.boolean(), name: z.optional(z.string()), ssoOnly: z.boolean() })

/** A personal API token as listed (never the secret) and as created (the secret, once). */
export const personalToken = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.nullable(z.number()),
  revokedAt: z.nullable(z.number()),
})
export const personalTokenList = z.object({ items: z.array(personalToken) })
export const createdToken = z.object({ ...personalToken.shape, secret: z.string() })

export type PersonShape = z.infer<typeof person>
export type WhoAmI = z.infer<typeof whoAmI>
