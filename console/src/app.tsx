import { useState } from 'hono/jsx/dom'
import { session } from './lib/session.ts'
import { SignIn } from './pages/sign-in.tsx'
import { SignedIn } from './signed-in.tsx'

/** Signed out: the sign-in form. Signed in: the console, with the key from this tab's session. */
export function App() {
  const [adminKey, setAdminKey] = useState<string | null>(session.read())
  const [notice, setNotice] = useState<string | undefined>(undefined)

  if (!adminKey)
    return (
      <SignIn
        notice={notice}
        onSignIn={(key) => {
          session.write(key)
          setNotice(undefined)
          setAdminKey(key)
        }}
      />
    )
  return (
    <SignedIn
      adminKey={adminKey}
      onSignOut={(reason) => {
        session.clear()
        setNotice(reason)
        setAdminKey(null)
      }}
    />
  )
}
