import { readFileSync } from 'node:fs'
import { OPERATORS } from '../../sdk/core/types.ts'
import type { AttributeConditionShape, ConditionShape } from '../../api-shapes/index.ts'
import { CliError } from './errors.ts'

/** Options that describe conditions, shared by `cohorts add|set` and `segments create|set`. */
export const conditionOptions = {
  attr: { type: 'string', multiple: true },
  op: { type: 'string', multiple: true },
  values: { type: 'string', multiple: true },
  negate: { type: 'boolean' },
  'any-case': { type: 'boolean' },
  file: { type: 'string' },
} as const

const NUMERIC = new Set(['lt', 'lte', 'gt', 'gte'])

export interface ConditionArgs {
  attr?: string[] | undefined
  op?: string[] | undefined
  values?: string[] | undefined
  negate?: boolean | undefined
  'any-case'?: boolean | undefined
  file?: string | undefined
}

/**
 * Conditions from `--attr region --op in --values eu-west,eu-north` (repeat the three for more
 * conditions; they pair up by position) or from `--file conditions.json` (an array of
 * conditions, or an object with `conditions`). Undefined when none was given. The server checks
 * operators and values; this only says what it cannot: a missing part of a triple.
 *
 * @example
 * attributeConditions({ attr: ['region'], op: ['in'], values: ['eu-west,eu-north'] }, 'cohorts add')
 */
export function attributeConditions(args: ConditionArgs, command: string): AttributeConditionShape[] | undefined {
  const attrs = args.attr ?? []
  if (attrs.length === 0) {
    if (args.op?.length || args.values?.length) throw new CliError(`--op and --values need an --attr (see: canary ${command} --help)`)
    return undefined
  }
  const ops = args.op ?? []
  const values = args.values ?? []
  return attrs.map((attribute, i) => {
    const operator = ops[i] ?? ops[0]
    if (operator === undefined) throw new CliError(`--attr ${attribute}: missing --op (one of ${OPERATORS.join(', ')})`)
    if (!(OPERATORS as readonly string[]).includes(operator))
      throw new CliError(`--op: unknown operator ${operator}; expected one of ${OPERATORS.join(', ')}`)
    const raw = values[i]
    if (raw === undefined && operator !== 'exists') throw new CliError(`--attr ${attribute}: missing --values (comma-separated)`)
    const list = (raw ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '')
    return {
      attribute,
      operator: operator as AttributeConditionShape['operator'],
      values: NUMERIC.has(operator) ? list.map((v) => (Number.isFinite(Number(v)) ? Number(v) : v)) : list,
      ...(args.negate ? { negate: true } : {}),
      ...(args['any-case'] ? { caseInsensitive: true } : {}),
    }
  })
}

/** The JSON of `--file`: the file's own parse error, with its name, when it is not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CliError(`--file: cannot read ${path} (${(error as Error).message})`, 1, { cause: error })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new CliError(`--file: ${path} is not JSON (${(error as Error).message})`, 1, { cause: error })
  }
}

/** Conditions of a cohort: from the options, `--segment` names, or `--file`. */
export function cohortConditions(args: ConditionArgs & { segment?: string[] | undefined }, command: string): ConditionShape[] | undefined {
  const fromFile = args.file === undefined ? undefined : conditionsOfFile(readJsonFile(args.file), args.file)
  const attributes = attributeConditions(args, command)
  const segments = (args.segment ?? []).map((segment) => ({ segment }))
  if (fromFile === undefined && attributes === undefined && segments.length === 0) return undefined
  return [...(fromFile ?? []), ...(attributes ?? []), ...segments]
}

function conditionsOfFile(json: unknown, path: string): ConditionShape[] {
  const list = Array.isArray(json) ? json : (json as { conditions?: unknown } | null)?.conditions
  if (!Array.isArray(list)) throw new CliError(`--file: ${path} holds neither an array of conditions nor an object with "conditions"`)
  // The server validates each condition and names the one at fault.
  return list as ConditionShape[]
}
