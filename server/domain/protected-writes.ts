import { ConflictError } from '../errors.ts'

/**
 * What a protected environment does with the writes that are not one flag's state (those are
 * held as change requests, domain/change-requests.ts): a segment, a flag's `clientSide`, an
 * archive, an import. None of them can be one flag's request — a segment is shared by the flags
 * of its environment, `clientSide` and archiving hold in every environment, an import writes many
 * flags at once — so each is let through only when it changes no answer a protected environment
 * gives, and refused (409, nothing changed, saying the way that goes through review) otherwise.
 * Pure: the service reads the environments and states and asks here.
 */

/** A protected environment's key and the flags in it that a write would touch. */
export interface ProtectedUse {
  environment: string
  flags: string[]
}

/**
 * Changing the rules of a segment (PUT) that flags of a protected environment use would change
 * their audiences without a request. Creating one, changing or deleting one no flag uses, and
 * changing only a description change no answer (a flag starts using a segment only through a
 * held cohort change).
 */
export function segmentWriteRefusal(segment: string, environment: string, usedBy: readonly string[]): ConflictError | undefined {
  if (usedBy.length === 0) return undefined
  return new ConflictError(
    `segment ${segment} is used by flags ${usedBy.join(', ')} in protected environment ${environment}: changing it would change their audiences without approval. ` +
      `Create a new segment with the change and propose each flag's switch to it (a change request), then delete the old one`,
    { flags: [...usedBy] },
  )
}

/**
 * Making a flag visible to client keys (`clientSide: true`) while it is on in a protected
 * environment shows browsers answers they did not get before — a widening nobody approved.
 * Hiding it (`false`) only narrows (browsers get their fallback, as for a flag that is off): never refused.
 */
export function clientSideRefusal(flag: string, onIn: readonly ProtectedUse[]): ConflictError | undefined {
  if (onIn.length === 0) return undefined
  return new ConflictError(
    `flag ${flag} is on in protected environment ${onIn.map((u) => u.environment).join(', ')}: showing it to client keys there would widen it without approval. ` +
      `Turn it off there (never held), make it client-side, then propose turning it on (a change request)`,
    { environments: onIn.map((u) => u.environment) },
  )
}

/**
 * Archiving stops a flag everywhere, as the kill switch does, but also deletes its approved
 * cohorts, guard and plan in every environment, which no request can bring back. So in a
 * protected environment where the flag is on, it is refused: the kill switch first (at once,
 * never held), then the archive, which then changes no answer there.
 */
export function archiveRefusal(flag: string, onIn: readonly ProtectedUse[]): ConflictError | undefined {
  if (onIn.length === 0) return undefined
  return new ConflictError(
    `flag ${flag} is on in protected environment ${onIn.map((u) => u.environment).join(', ')}: turn it off there first (the kill switch applies at once, never held), then archive it`,
    { environments: onIn.map((u) => u.environment) },
  )
}

/** An import writes many flags' states at once: never into a protected environment (a dry run is fine). */
export function importRefusal(environment: string, approvals: number): ConflictError | undefined {
  if (approvals === 0) return undefined
  return new ConflictError(
    `environment ${environment} is protected (${approvals} approval${approvals === 1 ? '' : 's'} per change): an import would change its flags without review. ` +
      `Import into another environment, or lift the protection for the import (audited)`,
  )
}
