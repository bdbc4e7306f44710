import { RE2JS } from 're2js'

/**
 * Regular expressions for the `matches` operator: compiled with re2js (linear time), and rated
 * by what they cost to run so that `LIMITS.maxPatternSize` can refuse the expensive ones.
 */

/**
 * Builds a linear-time matcher with re2js (RE2 syntax: no backreferences or lookaround), so a
 * hostile pattern or input cannot hang evaluation. `undefined` for an invalid pattern.
 */
export function compilePattern(pattern: string, caseInsensitive: boolean): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0)
  } catch {
    // re2js throws only syntax errors here; an invalid pattern simply cannot match, and
    // `conditionProblem` / `isValidPattern` report it where input is accepted.
    return undefined
  }
}

/** Shape of the re2js internals `programCost` reads; checked at run time, never assumed. */
interface ProgramInternals {
  re2Input?: { prog?: { inst?: ArrayLike<{ runes?: ArrayLike<number>; arg?: number }> } }
}

/** re2js's flag bit for a case-folding rune instruction (`RE2Flags.FOLD_CASE`). */
const FOLD_CASE = 1

/**
 * RE2's program size, with each character-class range counted as an instruction. re2js tests a
 * class as one instruction where RE2 (C++) compiles it to UTF-8 byte ranges, so `programSize()`
 * alone rates `\pL{20}` (hundreds of ranges per step) like `a{20}`; its DFA pays per range too.
 * The instructions are read through a guarded structural view of the compiled program; if a
 * future re2js hides them, the plain program size is used.
 */
export function programCost(re: RE2JS): number {
  const instructions = (re as unknown as ProgramInternals).re2Input?.prog?.inst
  if (instructions === undefined || typeof instructions.length !== 'number') return re.programSize()
  let cost = 0
  for (let i = 0; i < instructions.length; i++) {
    const { runes, arg } = instructions[i]!
    const ranges = runes !== undefined && runes.length > 1 ? runes.length >> 1 : 0
    cost += 1 + ranges * ((arg ?? 0) & FOLD_CASE ? 2 : 1)
  }
  return cost
}

/**
 * The size a `matches` pattern counts for against `LIMITS.maxPatternSize` (RE2 program size,
 * class ranges included), or `undefined` for an invalid pattern.
 *
 * @example
 * patternSize('^[a-z]+@example\\.com$', false) // 19
 * patternSize('\\pL{1000}', false) // 685002: refused
 */
export function patternSize(pattern: string, caseInsensitive: boolean): number | undefined {
  const re = typeof pattern === 'string' ? compilePattern(pattern, caseInsensitive) : undefined
  return re === undefined ? undefined : programCost(re)
}

/**
 * Whether `pattern` is a valid RE2 regular expression for the `matches` operator. The server
 * uses it to reject bad patterns at input time; at evaluation time they simply never match.
 *
 * @example
 * isValidPattern('^[a-z]+@example\\.com$') // true
 * isValidPattern('(?=lookahead)') // false: RE2 has no lookaround
 */
export function isValidPattern(pattern: string): boolean {
  return typeof pattern === 'string' && compilePattern(pattern, false) !== undefined
}
