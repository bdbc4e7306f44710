import * as z from 'zod/mini'

/** The audit log: `GET /audit` (its words are in audit-words.ts). */
export const auditEntry = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  flagKey: z.nullable(z.string()),
  envKey: z.nullable(z.string()),
  version: z.nullable(z.number()),
  before: z.unknown(),
  after: z.unknown(),
  details: z.unknown(),
})
export const auditPage = z.object({ items: z.array(auditEntry), nextBefore: z.nullable(z.number()) })

export type AuditEntry = z.infer<typeof auditEntry>
export type AuditPage = z.infer<typeof auditPage>
