import * as z from 'zod/mini'

/** API keys as listed (never the secret) and as created (the secret, once). */
export const KEY_KINDS = ['admin', 'server', 'client'] as const
export const keyKind = z.enum(KEY_KINDS)
export const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  kind: keyKind,
  environment: z.nullable(z.string()),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.nullable(z.number()),
})
export const keyList = z.object({ items: z.array(apiKey) })
export const createdKey = z.object({ ...apiKey.shape, secret: z.string() })
/** `POST /api/v1/stream-tickets`: a single-use ticket for the stream upgrade (`ticket.<ticket>` sub-protocol). */
export const streamTicket = z.object({ ticket: z.string(), environment: z.string(), expiresAt: z.number() })

export type KeyKind = z.infer<typeof keyKind>
export type ApiKeyShape = z.infer<typeof apiKey>
