import type { Context } from 'hono'
import type * as z from 'zod/mini'
import type { FlagState } from '../../api-shapes/flags.ts'
import type { StoredFlagState } from '../store/contract.ts'
import type { AuthEnv } from '../auth/api-key.ts'
import type { Identity } from '../auth/approvers.ts'
import type { ChangeRequest } from '../../api-shapes/change-requests.ts'
import { heldWrite } from '../../api-shapes/change-requests.ts'
import { ValidationError } from '../errors.ts'
import { parse } from '../validation.ts'

/**
 * The JSON body parsed against `schema`; malformed JSON is a 400 that says so. `fast`: a
 * hand-written reader of the common bodies that accepts a subset of what the schema accepts,
 * with the same result, and answers `undefined` for everything else (routes/plain-bodies.ts).
 */
export async function jsonBody<T extends z.ZodMiniType>(
  c: Context,
  schema: T,
  options: { fast?: (input: unknown) => z.output<T> | undefined } = {},
): Promise<z.output<T>> {
  return jsonText(await c.req.text(), schema, options)
}

/** A request body's text parsed as `jsonBody` does (the SDK routes read their bodies themselves). */
export function jsonText<T extends z.ZodMiniType>(
  text: string,
  schema: T,
  options: { fast?: (input: unknown) => z.output<T> | undefined } = {},
): z.output<T> {
  let input: unknown
  try {
    input = text.trim() === '' ? {} : JSON.parse(text)
  } catch (error) {
    throw new ValidationError(`body: invalid JSON (${(error as Error).message})`)
  }
  return options.fast?.(input) ?? parse(schema, input)
}

/**
 * A version in `If-Match`: decimal digits, bare or as an ETag (`"12"`, weak `W/"12"`). Not
 * `Number()`, which would read `"0xb"` as 11 and `"12e0"` as 12.
 */
const VERSION_TAG = /^\s*(?:W\/)?(?:"(\d{1,15})"|(\d{1,15}))\s*$/

/**
 * The version an update was based on: the `If-Match` header (ETag form `"12"` accepted) or the
 * body's `version`. Undefined means "unconditional" — allowed for scripts, never used by the console.
 */
export function expectedVersion(c: Context, bodyVersion: number | undefined): number | undefined {
  const header = c.req.header('if-match')
  if (header === undefined) return bodyVersion
  const match = VERSION_TAG.exec(header)
  if (!match) throw new ValidationError(`If-Match: must be a decimal version number like "12", not ${JSON.stringify(header)}`)
  const fromHeader = Number(match[1] ?? match[2])
  if (bodyVersion !== undefined && bodyVersion !== fromHeader)
    throw new ValidationError(`If-Match: says version ${fromHeader} but the body's version is ${bodyVersion}`)
  return fromHeader
}

/** Path parameter, always present on the routes that use it. */
export const param = (c: Context, name: string) => c.req.param(name) as string

/**
 * The value a route answers with, checked at compile time against its response shape in
 * `api-shapes` (the schema the console, the CLI and the OpenAPI document read). No
 * run-time cost: a renamed field fails `tsc` here, and the contract test parses real answers.
 *
 * @example
 * return c.json(shaped(shapes.flagList, { items }))
 */
export const shaped = <S extends z.ZodMiniType>(_schema: S, value: z.input<S>): z.input<S> => value

/**
 * A stored state as the API answers it, checked against the flag-state shape at compile time (the
 * store already parsed its guard and plan JSON).
 *
 * @example
 * return c.json(shaped(shapes.flagState, stateView(await store.flags.getState(env, key))))
 */
export const stateView = (state: StoredFlagState): FlagState => state

/** Who is acting on this request (its key and the actor the audit log names). */
export const identityOf = (c: Context<AuthEnv>): Identity => ({ actor: c.get('actor'), who: c.get('identity') })

/**
 * The answer to a write a protected environment held: `202 Accepted` with the change request
 * (nothing changed yet; it applies once approved).
 */
export const heldAnswer = (c: Context, request: ChangeRequest) => c.json(shaped(heldWrite, { held: true, request }), 202)
