import { authorize, type Identity as Who } from './identity.ts'

/**
 * Who acts on a change request: who authenticated (a key or a person) and the actor string the
 * audit log names them by (`person:ann@example.com`, `admin-key:ci`), which is also how a request
 * knows its author.
 */
export interface Identity {
  actor: string
  who: Who
}

const allowed = (identity: Identity, action: 'read' | 'approve', environment: string): boolean => {
  try {
    authorize(identity.who, { action, environment })
    return true
  } catch {
    return false
  }
}

/**
 * The one answer to "may this identity approve (or reject) change requests in `environment`?":
 * the one `authorize` with the `approve` action — a person with the approver or admin role there,
 * or an admin key whose scope covers it. Whoever may approve, an author never approves their own
 * request (domain/change-requests.ts refuses it by actor).
 *
 * @example
 * if (!mayApprove(identity, 'production')) throw new ForbiddenError('…')
 */
export function mayApprove(identity: Identity, environment: string): boolean {
  return allowed(identity, 'approve', environment)
}

/** Whether the identity may see `environment`'s requests (anyone who may read it). */
export function maySee(identity: Identity, environment: string): boolean {
  return allowed(identity, 'read', environment)
}
