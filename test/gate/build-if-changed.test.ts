import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

/**
 * `npm test`'s rebuild (scripts/build-if-changed.mjs) skips a build only when the hashes of what
 * it reads and of what it wrote are as recorded: an edited source file is always rebuilt, even
 * one whose modification time was put back. The real script runs as a child process on a small
 * tree laid out like this repository, with a build command that records every run.
 */

const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-changed.mjs', import.meta.url))
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A tree with one file in each input folder and a build that copies server/main.ts to dist/. */
function tree() {
  const root = mkdtempSync(join(tmpdir(), 'canary-build-hash-'))
  dirs.push(root)
  const files: Record<string, string> = {
    'server/main.ts': 'export const v = 1\n',
    'sdk/core/evaluate.ts': 'export const e = 1\n',
    'console/src/app.tsx': 'export const c = 1\n',
    'api-shapes/flags.ts': 'export const f = 1\n',
    'openfeature/src/server.ts': 'export const o = 1\n',
    'migrations/0001.sql': 'create table t (x int);\n',
    'package.json': '{}\n',
    'package-lock.json': '{}\n',
    // What the build below reads; a stand-in for npm run build:steps.
    'build.mjs': [
      "import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'",
      "mkdirSync('dist', { recursive: true })",
      "writeFileSync('dist/main.js', readFileSync('server/main.ts'))",
      "appendFileSync('builds.log', 'built\\n')",
    ].join('\n'),
  }
  for (const [path, text] of Object.entries(files)) write(root, path, text)
  return root
}

function write(root: string, path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), text)
}

const builds = (root: string) => readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length

function run(root: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, '--root', root, '--command', 'node build.mjs'])
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

describe('the pretest build skips only what a hash shows unchanged', () => {
  it('builds the first time, skips when nothing changed, rebuilds an edited source file', async () => {
    const root = tree()
    expect(await run(root)).toMatchObject({ code: 0, output: expect.stringContaining('building: no record') })
    expect(builds(root)).toBe(1)

    const again = await run(root)
    expect(again).toMatchObject({ code: 0, output: expect.stringMatching(/^build skipped: inputs and outputs unchanged/m) })
    expect(builds(root)).toBe(1)

    // Same length, same modification time: only the content says it changed.
    const source = join(root, 'server/main.ts')
    const { atime, mtime } = statSync(source)
    writeFileSync(source, 'export const v = 2\n')
    utimesSync(source, atime, mtime)
    expect(await run(root)).toMatchObject({ code: 0, output: expect.stringContaining('building: sources changed') })
    expect(builds(root)).toBe(2)
    expect(readFileSync(join(root, 'dist/main.js'), 'utf8')).toBe('export const v = 2\n')
  })

  it.each(['sdk/core/evaluate.ts', 'console/src/app.tsx', 'api-shapes/flags.ts', 'openfeature/src/server.ts', 'migrations/0001.sql', 'package-lock.json'])(
    'an edit of %s rebuilds',
    async (path) => {
      const root = tree()
      await run(root)
      write(root, path, `${readFileSync(join(root, path), 'utf8')}// edited\n`)
      expect((await run(root)).output).toContain('building: sources changed')
      expect(builds(root)).toBe(2)
    },
  )

  it('rebuilds when the output was edited or deleted, even with the sources unchanged', async () => {
    const root = tree()
    await run(root)
    writeFileSync(join(root, 'dist/main.js'), 'stale\n')
    expect((await run(root)).output).toContain('building: the build output changed')
    expect(readFileSync(join(root, 'dist/main.js'), 'utf8')).toBe('export const v = 1\n')
    rmSync(join(root, 'dist'), { recursive: true })
    expect((await run(root)).output).toContain('building: the build output changed')
    expect(builds(root)).toBe(3)
  })

  it('a failed build records nothing: the next run builds again', async () => {
    const root = tree()
    write(root, 'build.mjs', "process.exit(3)\n")
    expect((await run(root)).code).toBe(3)
    const next = await run(root)
    expect(next.output).toContain('building: no record')
  })
})
