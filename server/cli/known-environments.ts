import * as shapes from '../../api-shapes/index.ts'

type Get = (path: string) => Promise<unknown>

/** The environments the key sees, or undefined when the list cannot be read. */
export async function environmentKeys(get: Get): Promise<string[] | undefined> {
  try {
    return shapes.environmentList.parse(await get('/api/v1/environments')).items.map((e) => e.key)
  } catch {
    // Only a hint: whatever went wrong reading the list, the caller's error is the one to report.
    return undefined
  }
}

/** `; environments: development, production`, or nothing when there are none to name. */
export const hintFrom = (keys: string[] | undefined): string =>
  keys === undefined || keys.length === 0 ? '' : `; environments: ${keys.join(', ')}`

/**
 * The hint for a message about an environment that does not exist, so a typo (`--env prod`)
 * comes with the names to choose from. Empty when the list cannot be read.
 */
export const environmentsHint = async (get: Get): Promise<string> => hintFrom(await environmentKeys(get))

/** The environment a 404 message names as missing (`environment prod not found`), if any. */
export const missingEnvironment = (message: string): string | undefined =>
  /(?:^|: )environment (\S+) not found$/.exec(message)?.[1]
