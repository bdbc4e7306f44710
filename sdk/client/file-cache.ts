import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { StateCache } from './state-cache.ts'

const isMissing = (error: unknown) =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * A JSON file cache. Writes go to a temporary file in the same directory and are renamed over
 * the target, so a crash mid-write leaves the previous entry intact, never half a file.
 *
 * @example
 * createClient({ url, key, cache: fileCache('./data/flags-cache.json') })
 */
export function fileCache(path: string): StateCache {
  return {
    load() {
      let text: string
      try {
        // Synchronous on purpose: read once at start, so the client is ready in the same tick.
        text = readFileSync(path, 'utf8')
      } catch (error) {
        if (isMissing(error)) return undefined
        throw error
      }
      return JSON.parse(text) as unknown
    },
    async save(entry) {
      await mkdir(dirname(path), { recursive: true })
      const temporary = `${path}.${randomUUID()}.tmp`
      try {
        await writeFile(temporary, JSON.stringify(entry))
        await rename(temporary, path)
      } catch (error) {
        await rm(temporary, { force: true })
        throw error
      }
    },
  }
}
