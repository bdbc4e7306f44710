import * as z from 'zod/mini'

/** `POST /evaluate`: one flag for one user, evaluated by the server. */
export const evaluation = z.object({ flag: z.string(), enabled: z.boolean(), reason: z.string() })
