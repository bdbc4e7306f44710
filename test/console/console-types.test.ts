import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The console's browser sources compile under their own tsconfig (DOM JSX from
 * `hono/jsx/dom`, no Node types), which the root `tsc` does not cover. CI runs `npm test`
 * only, so the check lives here.
 */
describe('console sources', () => {
  it('type-check under console/tsconfig.json', () => {
    const project = join(dirname(fileURLToPath(import.meta.url)), '../../console/tsconfig.json')
    const config = ts.getParsedCommandLineOfConfigFile(
      project,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
        },
      },
    )
    if (!config) throw new Error(`cannot read ${project}`)
    const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: true })
    const diagnostics = ts.getPreEmitDiagnostics(program)
    const host = {
      getCanonicalFileName: (f: string) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => '\n',
    }
    expect(ts.formatDiagnostics(diagnostics, host)).toBe('')
    expect(config.fileNames.length).toBeGreaterThan(30)
  }, 120_000)
})
