import { useState } from 'hono/jsx/dom'
import * as shapes from '../../api-shapes/index.ts'
import { createApi } from './api/http.ts'
import type { Credential } from './api/credential.ts'
import { useCommitEffect } from './hooks/use-commit-effect.ts'
import { session } from './lib/session.ts'
import { SignIn } from './pages/sign-in.tsx'
import { SignedIn } from './signed-in.tsx'

/**
 * Signed out: the sign-in page. Signed in: the console, with the admin key of this tab's
 * session storage, or a person's session (its cookie, which scripts never read: on load the
 * console asks the server who it is).
 */
export function App() {
  const stored = session.read()
  // undefined: still asking the server whether a session cookie signs this browser in.
  const [credential, setCredential] = useState<Credential | null | undefined>(stored ? { kind: 'key', key: stored } : undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)

  useCommitEffect(() => {
    if (credential !== undefined) return
    createApi({ kind: 'session', email: '' }, () => {})('GET', '/api/v1/session', shapes.whoAmI).then(
      (me) => setCredential(me.type === 'person' ? { kind: 'session', email: me.person.email } : null),
      () => setCredential(null),
    )
  }, [credential])

  if (credential === undefined) return <p class="loading page">Loading…</p>
  if (!credential)
    return (
      <SignIn
        notice={notice}
        onSignIn={(signedIn) => {
          if (signedIn.kind === 'key') session.write(signedIn.key)
          setNotice(undefined)
          setCredential(signedIn)
        }}
      />
    )
  return (
    <SignedIn
      credential={credential}
      onSignedIn={(next) => {
        session.clear()
        setCredential(next)
      }}
      onSignOut={(reason) => {
        session.clear()
        setNotice(reason)
        setCredential(null)
      }}
    />
  )
}
