import * as z from 'zod/mini'

/** Environments: `GET /environments`. */
export const environment = z.object({ key: z.string(), name: z.string(), version: z.number() })
export const environmentList = z.object({ items: z.array(environment) })

export type Environment = z.infer<typeof environment>
