import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileCache } from '../../../sdk/client/file-cache.ts'

describe('fileCache', () => {
  let directory: string
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'canary-flags-file-cache-'))
  })
  afterEach(() => rmSync(directory, { recursive: true, force: true }))

  it('has nothing before the first save', () => {
    expect(fileCache(join(directory, 'none.json')).load()).toBeUndefined()
  })

  it('saves into missing directories and loads back, leaving no temporary files', async () => {
    const path = join(directory, 'a', 'b', 'flags.json')
    const cache = fileCache(path)
    await cache.save({ version: 1 })
    await cache.save({ version: 2 })
    expect(cache.load()).toEqual({ version: 2 })
    expect(readdirSync(join(directory, 'a', 'b'))).toEqual(['flags.json'])
  })

  it('throws on a corrupt file so the client can report it', () => {
    const path = join(directory, 'corrupt.json')
    writeFileSync(path, '{"version": 1, "fla')
    expect(() => fileCache(path).load()).toThrow(SyntaxError)
  })
})
