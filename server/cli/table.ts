/**
 * Columns padded to their widest cell, two spaces apart, no trailing spaces.
 *
 * @example
 * formatTable(['KEY', 'STATE'], [['checkout-v2', 'on']])
 * // KEY          STATE
 * // checkout-v2  on
 */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows]
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)))
  return all
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/**
 * `label: value` lines with the values aligned, for one record (`flags show`).
 *
 * @example
 * formatFields([['flag', 'checkout-v2'], ['state', 'on']])
 * // flag:   checkout-v2
 * // state:  on
 */
export function formatFields(fields: Array<[label: string, value: string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1
  return fields
    .map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`.trimEnd())
    .join('\n')
}

/** A cell that keeps tables readable: at most `max` characters, `…` when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
