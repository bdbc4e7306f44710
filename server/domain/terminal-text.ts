/**
 * Characters a terminal or a log viewer acts on instead of showing: C0 controls but tab and
 * newline (ESC starts colour and cursor sequences, BEL rings, CR overwrites a line), DEL, C1
 * controls, and the bidirectional marks and overrides that reorder what a reader sees.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Text made safe to print where people read it (the CLI, the pretty log): each unsafe character
 * becomes a visible `\u{…}` escape, so a cohort name or a request path written by someone else
 * cannot recolour, rewrite or reorder the operator's screen. Everything else is unchanged.
 *
 * @example
 * terminalSafe('beta\u001b[2J') // 'beta\\u{001b}[2J'
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`)
}
