import type { Logger } from './types.ts'

/** Distinct unknown keys remembered (and so warned about); past it, further keys stay silent. */
export const MAX_UNKNOWN_FLAGS = 1000
/** The longest key the server takes in a metrics batch (a longer one would refuse the batch). */
const MAX_REPORTED_KEY = 128

export interface UnknownFlagsDeps {
  logger: Logger
  /** The `unknownFlag` event. */
  emit: (flag: string) => void
  /** Names the key in the next metrics batch, so the connections list counts it. */
  mention: (flag: string) => void
}

/**
 * Makes a typo in a flag key loud once and cheap: the first time the application asks for a
 * key the held state does not have, it logs a warning, emits `unknownFlag` and names the key
 * in the next metrics batch (the server counts it in `GET /api/v1/connections`
 * `unknownFlags`). Later calls with the same key cost one set lookup and say nothing more.
 *
 * @example
 * const unknownFlag = createUnknownFlags({ logger, emit: (key) => events.emit('unknownFlag', key), mention: counters.mention })
 * unknownFlag('chekout-v2') // warns once
 */
export function createUnknownFlags(deps: UnknownFlagsDeps): (flag: string) => void {
  const seen = new Set<string>()
  return (flag) => {
    if (seen.has(flag) || seen.size >= MAX_UNKNOWN_FLAGS) return
    seen.add(flag)
    if (flag.length > 0 && flag.length <= MAX_REPORTED_KEY) deps.mention(flag)
    // Short: the browser bundle carries it.
    deps.logger.warn?.(
      `unknown flag ${JSON.stringify(flag)}: not among this key's flags (a client key sees client-side flags only); the default answers; check the key`,
    )
    deps.emit(flag)
  }
}
