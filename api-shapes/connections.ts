import * as z from 'zod/mini'
import { keyKind } from './keys.ts'

/** SDK connections as the server lists them: `GET /connections`. */
export const connection = z.object({
  id: z.string(),
  keyName: z.string(),
  kind: keyKind,
  environment: z.string(),
  sdk: z.nullable(z.string()),
  /** From `sdk` when it reads `canary-flags-<language>/<version>` (sdk/SPEC.md §5.1). */
  language: z.optional(z.nullable(z.string())),
  sdkVersion: z.optional(z.nullable(z.string())),
  /** The negotiated WebSocket sub-protocol, e.g. `canary-flags.v1`. */
  protocol: z.optional(z.nullable(z.string())),
  sentVersion: z.nullable(z.number()),
  appliedVersion: z.nullable(z.number()),
  connectedAt: z.number(),
  unknownFlags: z.optional(z.number()),
  refusedBatches: z.optional(z.number()),
  /** Server keys: the bucketing modes the SDK announced in its hello (sdk/SPEC.md §3). */
  bucketing: z.optional(z.array(z.string())),
  /** Server keys: flags it receives unavailable (off) because it did not announce their mode. */
  unavailableFlags: z.optional(z.number()),
})
export const connectionList = z.object({ items: z.array(connection) })

export type Connection = z.infer<typeof connection>
