import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * No source function is longer than MAX_LINES (the console's components excepted: a component
 * is mostly markup). A closure that grows past it holds several jobs: split it by reason to
 * change (STYLE.md: god functions). Counted from the first to the last line of the function.
 */
const MAX_LINES = 150
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SOURCE_FOLDERS = ['server', 'sdk', 'api-shapes', 'openfeature/src', 'console/src']
const EXEMPT = [/^console\/src\/(components|pages)\//]

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Functions of `file` longer than `max` lines, as `path:line name (n lines)`. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      const lines = end - start + 1
      if (lines > max) {
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)'
        found.push(`${file}:${start + 1} ${name} (${lines} lines)`)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('function length', () => {
  it(`no source function is over ${MAX_LINES} lines (console components excepted)`, () => {
    const files = SOURCE_FOLDERS.flatMap(sourceFiles)
      .map((path) => relative(ROOT, join(ROOT, path)))
      .filter((path) => !EXEMPT.some((pattern) => pattern.test(path)))
    expect(files.length).toBeGreaterThan(100)
    const long = files.flatMap((file) => longFunctions(file, readFileSync(join(ROOT, file), 'utf8'), MAX_LINES))
    expect(long).toEqual([])
  })

  it('finds a function that is too long (the check itself can fail)', () => {
    const body = Array.from({ length: 10 }, (_, i) => `  const v${i} = ${i}`).join('\n')
    expect(longFunctions('x.ts', `export function big() {\n${body}\n}\n`, 5)).toEqual(['x.ts:1 big (12 lines)'])
    expect(longFunctions('x.ts', `const small = () => {\n  return 1\n}\n`, 5)).toEqual([])
  })
})
