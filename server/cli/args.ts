import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CliError } from './errors.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** Options every API command accepts. */
export const apiOptions = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options

/**
 * `util.parseArgs` in strict mode, with its errors (unknown option, missing value) turned into
 * a one-line usage error that points at the help of `command`.
 *
 * @example
 * const { values, positionals } = parseCommand(args, { env: { type: 'string' } }, 'flags on')
 */
export function parseCommand<T extends Options>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true })
  } catch (error) {
    const hint = `(see: canary ${command} --help)`
    throw new CliError(`${(error as Error).message} ${hint}`, 1, { cause: error })
  }
}

/** A value the command cannot do without, e.g. `--env` for `flags on`. */
export function required(value: string | undefined, option: string, command: string): string {
  if (value === undefined || value === '')
    throw new CliError(`missing ${option} (see: canary ${command} --help)`)
  return value
}

/** Exactly one positional argument, e.g. the flag key of `flags show <key>`. */
export function onePositional(positionals: string[], name: string, command: string): string {
  const [first, ...rest] = positionals
  if (first === undefined) throw new CliError(`missing <${name}> (see: canary ${command} --help)`)
  if (rest.length > 0)
    throw new CliError(`unexpected argument ${rest[0]} (see: canary ${command} --help)`)
  return first
}

/** No positional arguments at all, e.g. for `keys list`. */
export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length > 0)
    throw new CliError(`unexpected argument ${positionals[0]} (see: canary ${command} --help)`)
}

/** `-5`, `-0.5`, `-1e3`: a value, not an option, when it follows an option that takes one. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/

/**
 * `--percent -5` as `--percent=-5`: `util.parseArgs` reads a leading dash as an option and
 * calls the value ambiguous, so a negative number never reaches the check that can say what is
 * wrong with it ("not between 0 and 100").
 */
export function joinNegativeValues(args: readonly string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const next = args[i + 1]
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}
