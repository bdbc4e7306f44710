import type { Writable } from 'node:stream'
import { terminalSafe } from '../domain/terminal-text.ts'

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
/** Fields every pino line has; the rest are printed as key=value after the message. */
const OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err'])

const show = (value: unknown) =>
  typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)

/**
 * One pino JSON line as a person reads it in a terminal:
 * `12:03:04.567 INFO  PATCH /api/v1/… 200 method=PATCH status=200 ms=3.1`, with an error's
 * stack on the lines after it. Pure, so it is tested without a stream.
 *
 * @example
 * formatLine('{"level":"info","time":"1970-01-01T00:00:00.000Z","msg":"listening","url":"http://localhost:4242"}')
 * // '00:00:00.000 INFO  listening url=http://localhost:4242'
 */
export function formatLine(line: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return terminalSafe(line) // not pino's: pass it through (escaped) rather than lose it
  }
  const at = typeof entry.time === 'number' || typeof entry.time === 'string' ? new Date(entry.time) : new Date()
  const time = Number.isNaN(at.getTime()) ? String(entry.time) : at.toISOString().slice(11, 23)
  const level = (typeof entry.level === 'string' ? entry.level.toUpperCase() : (LEVELS[entry.level as number] ?? String(entry.level))).padEnd(5)
  const fields = Object.entries(entry)
    .filter(([k]) => !OWN.has(k))
    .map(([k, v]) => `${k}=${show(v)}`)
  const err = entry.err as { stack?: string; message?: string } | undefined
  const stack = err ? `\n${err.stack ?? err.message ?? JSON.stringify(err)}` : ''
  // A request path or a header is written by whoever sent it: no raw ESC or BEL reaches the terminal.
  return terminalSafe(`${time} ${level} ${String(entry.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}`)
}

/**
 * A destination for pino that writes `formatLine` output to `out` (pino hands a destination
 * one complete JSON line per write, synchronously; no worker thread or extra package needed).
 */
export function prettyStream(out: Pick<Writable, 'write'>): { write(chunk: string): boolean } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${formatLine(line)}\n`)
      return true
    },
  }
}
