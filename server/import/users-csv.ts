import { ImportFileError } from './import-plan.ts'

/**
 * The users `canary verify` evaluates, from CSV: a header row of attribute names, then one user
 * per row (RFC 4180: quoted fields may hold commas, quotes as `""`, and line breaks). Empty cells
 * are missing attributes. A cell in plain decimal notation is a number (so numeric rules compare
 * numbers on both sides), except in the id columns `userId` and `sessionId`, which stay text.
 */

const DECIMAL = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/
const TEXT_COLUMNS = new Set(['userId', 'sessionId', 'key'])

function rows(text: string): string[][] {
  const out: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"' && cell === '') quoted = true
    else if (ch === ',') row.push(cell), (cell = '')
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell), out.push(row), (row = []), (cell = '')
    } else cell += ch
  }
  if (quoted) throw new ImportFileError(`row ${out.length + 1}`, 'a quoted cell is never closed')
  if (cell !== '' || row.length > 0) row.push(cell), out.push(row)
  return out.filter((r) => !(r.length === 1 && r[0] === ''))
}

/**
 * @example
 * parseUsersCsv('userId,country,age\nu1,de,42\n') // [{ userId: 'u1', country: 'de', age: 42 }]
 */
export function parseUsersCsv(text: string): Array<Record<string, string | number>> {
  const [header, ...body] = rows(text.replace(/^\uFEFF/, ''))
  if (header === undefined) throw new ImportFileError('row 1', 'no header row (attribute names, e.g. userId,country)')
  header.forEach((name, i) => {
    if (name === '') throw new ImportFileError(`row 1, column ${i + 1}`, 'empty attribute name')
  })
  return body.map((cells, r) => {
    if (cells.length !== header.length)
      throw new ImportFileError(`row ${r + 2}`, `${cells.length} cells, but the header names ${header.length} attributes`)
    const user: Record<string, string | number> = {}
    cells.forEach((cell, i) => {
      const name = header[i]!
      if (cell === '') return
      user[name] = !TEXT_COLUMNS.has(name) && DECIMAL.test(cell) ? Number(cell) : cell
    })
    return user
  })
}
