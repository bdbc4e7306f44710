import type { ApiKeyInfo } from '../store/contract.ts'

/**
 * Who acts: the key that authenticated the request and its actor string as the audit log names
 * it (`admin-key:ci`). People with roles will arrive as another identity with an actor such as
 * `person:ann@example.com`; only {@link mayApprove} needs to learn what they may do.
 */
export interface Identity {
  actor: string
  key: ApiKeyInfo
}

/**
 * The one answer to "may this identity approve (or reject) change requests in `environment`?".
 * Today: admin keys, global or bound to that environment. Whoever may approve, an author never
 * approves their own request (domain/change-requests.ts refuses it by actor).
 *
 * @example
 * if (!mayApprove({ actor, key }, 'production')) throw new ForbiddenError('…')
 */
export function mayApprove(identity: Identity, environment: string): boolean {
  return identity.key.kind === 'admin' && (identity.key.environment === null || identity.key.environment === environment)
}
