import * as z from 'zod/mini'

/**
 * Environments: `GET /environments`. `approvals`: how many approvers other than the author a
 * change to a flag's state needs there (a protected environment); 0 when it is not protected.
 */
export const environment = z.object({ key: z.string(), name: z.string(), version: z.number(), approvals: z.number() })
export const environmentList = z.object({ items: z.array(environment) })

export type Environment = z.infer<typeof environment>
