import type { CompiledFlag } from '../../sdk/core/evaluate.ts'
import type { Ruleset } from '../../sdk/core/ruleset.ts'
import type { EvalResult, User } from '../../sdk/core/types.ts'
import { answerFor } from '../domain/answer.ts'
import { ofrepEntry, type Audience } from './evaluation.ts'

/** Distinct answers (whole flag lists) whose text and tag are kept per version. */
const ANSWERS_KEPT = 256
/** Distinct results of one flag whose entries are kept per version. */
const RESULTS_KEPT = 64
/** Answers given once, remembered by their hash only, so the next one like them is kept. */
const SEEN_ONCE_KEPT = 4096
/** Request contexts (their JSON text) whose answer is kept per version, and the longest text kept. */
const CONTEXTS_KEPT = 1024
const CONTEXT_TEXT_KEPT = 1024

/** A bulk answer: the flags' JSON and its ETag. */
export interface BulkAnswer {
  flagsJson: string
  etag: string
}

/** One flag's encoded entry for one outcome, and the number that names it within its version. */
interface Piece {
  json: string
  id: number
}

/**
 * The flags one audience sees in one version, in answer order: the entry of each flag whose
 * result does not depend on the user (off, everyone at 100%: `fixedResult`) is kept once per
 * version, with or without a targeting key, so a new user's answer evaluates only the others.
 */
interface Layout {
  /** Names the layout within its version (an answer's hash starts with it). */
  id: number
  keys: string[]
  flags: CompiledFlag[]
  /** Indexes in `keys` of the flags evaluated for each user. */
  varying: number[]
  /**
   * By index: each result the flag gave (a shared frozen object, `CompiledFlag.evaluate`) and
   * its entry without and with a targeting key. A flag gives a handful of results, and its
   * entry is a function of the result (`ofrepEntry`, evaluation.ts), so users share entries.
   */
  byResult: Array<Map<Readonly<EvalResult>, [Piece | undefined, Piece | undefined]> | undefined>
  /** Without and with a targeting key: the fixed flags' pieces, by index (built on first use). */
  fixed: [Array<Piece | undefined> | undefined, Array<Piece | undefined> | undefined]
}

/** What is kept for one version of one ruleset. */
interface Kept {
  version: number
  /** Every flag (server keys); a client key's visible set, by set. */
  everyFlag: Layout | undefined
  visibleFlags: WeakMap<ReadonlySet<string>, Layout>
  nextLayout: number
  nextId: number
  /** Answers given more than once in this version, by `hash`. */
  answers: Map<number, KeptAnswer>
  /**
   * The hashes of answers given once. An answer is kept the second time it is given: one user's
   * own answer (at 350 rich flags, nearly every user's) is never asked again by anyone else,
   * and keeping each of them, 38 KB that outlived the young generation, made garbage collection
   * most of a new user's request.
   */
  seenOnce: Set<number>
  /**
   * By audience and request text: the kept answer given to that exact context in this version,
   * while `answers` still holds it (so the memory of kept answers stays bounded by
   * `ANSWERS_KEPT`), and the visible set it was computed with (a client key's).
   */
  byContext: Map<string, { visible: ReadonlySet<string>; kept: KeptAnswer }>
}

/** An answer kept in one version: what names it (its layout, targeting key or not, and the pieces of its varying flags) and its text and tag. */
interface KeptAnswer {
  hash: number
  layout: Layout
  withKey: number
  varying: ReadonlyArray<Piece | undefined>
  answer: BulkAnswer
}

/** A 32-bit FNV-1a-style hash of an answer's name; `KeptAnswer`'s fields decide, the hash only finds. */
function answerHash(layout: Layout, withKey: number, varying: ReadonlyArray<Piece | undefined>): number {
  let hash = Math.imul(0x811c9dc5 ^ layout.id, 0x01000193) ^ withKey
  for (let i = 0; i < varying.length; i++) hash = Math.imul(hash ^ (varying[i]?.id ?? -1), 0x01000193)
  return hash
}

/** Whether a kept answer is the one named by these (the same pieces, in order). */
function names(kept: KeptAnswer, layout: Layout, withKey: number, varying: ReadonlyArray<Piece | undefined>): boolean {
  if (kept.layout !== layout || kept.withKey !== withKey || kept.varying.length !== varying.length) return false
  for (let i = 0; i < varying.length; i++) if (kept.varying[i] !== varying[i]) return false
  return true
}

/**
 * The flags of an OFREP bulk answer (`POST /ofrep/v1/evaluate/flags`), as JSON, with its ETag.
 * Each flag is still evaluated for the caller's context, but what depends only on the ruleset
 * version is done once per version: the sorted key list, and each flag's entry encoded once per
 * outcome (its answer, whether the context has a targeting key, the audience) — a flag has a
 * handful of outcomes, so a 350-flag answer is a join of kept strings instead of 350 objects
 * built and stringified. A flag whose result does not depend on the user (off, everyone at
 * 100%: `fixedResult`) has its entry kept once per version, so a new user's answer evaluates
 * only the flags whose rules look at the user. An answer given a second time in this version (a
 * client polling with its context, many users with the same answers) is kept, and then reuses
 * its text and tag (`seenOnce` says why not the first time). The tag is the content's hash
 * (`etagOf`), so equal answers in any version share it and a 304 holds across changes that did
 * not touch them. `forText` also keeps, per version, which kept answer each exact request
 * context got (its JSON text, up to 1 KiB, the last 1,024 of them): a context asked again in
 * the same version, while its answer is kept, is answered without evaluating a flag (at 350
 * flags, evaluation was most of the request).
 *
 * @example
 * const bulk = createBulkAnswers(etagOf)
 * const { flagsJson, etag } = bulk(rules.get(env), rules.clientVisible(env), context, 'server')
 * bulk.forText(rules.get(env), rules.clientVisible(env), '{"context":{…}}', 'server', parseContext)
 */
export function createBulkAnswers(etagOf: (flagsJson: string) => string) {
  const kept = new WeakMap<Ruleset, Kept>()

  const keptFor = (ruleset: Ruleset): Kept => {
    let k = kept.get(ruleset)
    if (k === undefined || k.version !== ruleset.version) {
      k = {
        version: ruleset.version,
        everyFlag: undefined,
        visibleFlags: new WeakMap(),
        nextLayout: 0,
        nextId: 0,
        answers: new Map(),
        seenOnce: new Set(),
        byContext: new Map(),
      }
      kept.set(ruleset, k)
    }
    return k
  }

  const layoutOf = (k: Kept, ruleset: Ruleset, visible: ReadonlySet<string>, audience: Audience): Layout => {
    const kept = audience === 'server' ? k.everyFlag : k.visibleFlags.get(visible)
    if (kept !== undefined) return kept
    // A client key's visible flags (`answerFor` tells them nothing of the others).
    const keys = (audience === 'server' ? [...ruleset.compiled.keys()] : [...visible].filter((key) => ruleset.compiled.has(key))).sort()
    const flags = keys.map((key) => ruleset.compiled.get(key)!)
    const varying: number[] = []
    flags.forEach((flag, index) => {
      if (flag.fixedResult === undefined) varying.push(index)
    })
    const layout: Layout = { id: k.nextLayout++, keys, flags, varying, byResult: [], fixed: [undefined, undefined] }
    if (audience === 'server') k.everyFlag = layout
    else k.visibleFlags.set(visible, layout)
    return layout
  }

  /** The entry of the flag at `index` for a user, kept per result (`Layout.byResult`). */
  function pieceFor(k: Kept, ruleset: Ruleset, layout: Layout, index: number, user: User, withKey: 0 | 1, audience: Audience, scope: ReadonlySet<string> | 'every flag') {
    const result = layout.flags[index]!.evaluate(user)
    const byResult = (layout.byResult[index] ??= new Map())
    let slots = byResult.get(result)
    if (slots === undefined) {
      slots = [undefined, undefined]
      // Results are shared objects, a handful per flag; the bound only guards the version's memory.
      if (byResult.size < RESULTS_KEPT) byResult.set(result, slots)
    }
    const kept = slots[withKey]
    if (kept !== undefined) return kept
    // The first time: the entry by the one rule of what a key may be told (the same result).
    const key = layout.keys[index]!
    const answer = answerFor(ruleset, scope, key, user)
    if (answer === undefined) return undefined
    return (slots[withKey] = { json: JSON.stringify(ofrepEntry(key, answer, withKey === 1, audience)), id: k.nextId++ })
  }

  /** Every flag evaluated for the context: the answer, and its entry in `answers` when it is kept. */
  function evaluated(
    ruleset: Ruleset,
    visible: ReadonlySet<string>,
    context: { user: User; hasTargetingKey: boolean },
    audience: Audience,
  ): { answer: BulkAnswer; kept: KeptAnswer | undefined } {
    const k = keptFor(ruleset)
    const scope = audience === 'client' ? visible : 'every flag'
    const layout = layoutOf(k, ruleset, visible, audience)
    const withKey = context.hasTargetingKey ? 1 : 0
    // A fixed flag answers any user object alike (`fixedResult`): `{}` stands for them all.
    const fixed = (layout.fixed[withKey] ??= layout.flags.map((flag, index) =>
      flag.fixedResult === undefined ? undefined : pieceFor(k, ruleset, layout, index, {}, withKey, audience, scope),
    ))
    const varying = layout.varying.map((index) => pieceFor(k, ruleset, layout, index, context.user, withKey, audience, scope))
    const hash = answerHash(layout, withKey, varying)
    const found = k.answers.get(hash)
    if (found !== undefined && names(found, layout, withKey, varying)) return { answer: found.answer, kept: found }
    const pieces = fixed.slice()
    layout.varying.forEach((index, i) => (pieces[index] = varying[i]))
    const parts: string[] = []
    for (const piece of pieces) if (piece !== undefined) parts.push(piece.json)
    const flagsJson = `[${parts.join(',')}]`
    const answer = { flagsJson, etag: etagOf(flagsJson) }
    if (!k.seenOnce.delete(hash)) {
      k.seenOnce.add(hash)
      if (k.seenOnce.size > SEEN_ONCE_KEPT) k.seenOnce.delete(k.seenOnce.values().next().value!)
      return { answer, kept: undefined }
    }
    const kept: KeptAnswer = { hash, layout, withKey, varying, answer }
    k.answers.set(hash, kept)
    if (k.answers.size > ANSWERS_KEPT) k.answers.delete(k.answers.keys().next().value!)
    return { answer, kept }
  }

  function bulkAnswer(
    ruleset: Ruleset,
    visible: ReadonlySet<string>,
    context: { user: User; hasTargetingKey: boolean },
    audience: Audience,
  ): BulkAnswer {
    return evaluated(ruleset, visible, context, audience).answer
  }

  /**
   * The answer for a request's context given as its JSON text: the one already given to that
   * exact text in this version when there is one (a provider refetching with its context after
   * every change event, a server polling for the same user), else `contextOf(text)` evaluated as
   * `bulkAnswer` does. Evaluation is a pure function of the ruleset version and the context, so
   * the kept answer is the evaluated one. `contextOf` may throw (a refused body): nothing is kept.
   */
  function forText(
    ruleset: Ruleset,
    visible: ReadonlySet<string>,
    text: string,
    audience: Audience,
    contextOf: (text: string) => { user: User; hasTargetingKey: boolean },
  ): BulkAnswer {
    if (text.length > CONTEXT_TEXT_KEPT) return bulkAnswer(ruleset, visible, contextOf(text), audience)
    const k = keptFor(ruleset)
    const id = `${audience}\u0000${text}`
    const given = k.byContext.get(id)
    if (given !== undefined && given.visible === visible && k.answers.get(given.kept.hash) === given.kept) return given.kept.answer
    const fresh = evaluated(ruleset, visible, contextOf(text), audience)
    if (fresh.kept === undefined) return fresh.answer
    k.byContext.set(id, { visible, kept: fresh.kept })
    if (k.byContext.size > CONTEXTS_KEPT) k.byContext.delete(k.byContext.keys().next().value!)
    return fresh.answer
  }

  return Object.assign(bulkAnswer, { forText })
}
