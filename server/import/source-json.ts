import { ImportFileError } from './import-plan.ts'

/**
 * Reading an imported file's JSON as `unknown`, with errors that name the place. Both importers
 * use these so a bad file is refused the same way whatever its source.
 */

export type Json = Record<string, unknown>

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function record(value: unknown, path: string): Json {
  if (!isRecord(value)) throw new ImportFileError(path, `expected an object, got ${kindOf(value)}`)
  return value
}

export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ImportFileError(path, `expected an array, got ${kindOf(value)}`)
  return value
}

/** An array, or `[]` when the field is absent or null (sources omit empty lists). */
export function optionalArray(value: unknown, path: string): unknown[] {
  return value === undefined || value === null ? [] : array(value, path)
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ImportFileError(path, `expected a string, got ${kindOf(value)}`)
  return value
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null ? undefined : string(value, path)
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new ImportFileError(path, `expected true or false, got ${kindOf(value)}`)
  return value
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing (the field is missing)'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)}`
}

/** Parses file text as JSON, naming the file when it is not JSON. */
export function parseJsonText(text: string, name: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ImportFileError(name, `not valid JSON (${(cause as Error).message})`)
  }
}
