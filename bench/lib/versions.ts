import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** The installed version of a package, for the table: a figure without it means little. */
export function versionOf(pkg: string): string {
  try {
    const path = require.resolve(`${pkg}/package.json`)
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
  } catch {
    // Some packages do not export package.json; walk up from the entry point instead.
    let dir = require.resolve(pkg)
    for (;;) {
      const parent = dir.slice(0, dir.lastIndexOf('/'))
      if (parent === dir || parent === '') return '?'
      dir = parent
      try {
        const json = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
          name?: string
          version?: string
        }
        if (json.name === pkg && json.version !== undefined) return json.version
      } catch {
        // No package.json at this level; keep walking up.
      }
    }
  }
}
