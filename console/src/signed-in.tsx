import * as shapes from '../../api-shapes/index.ts'
import { ErrorBoundary, useMemo, useState } from 'hono/jsx/dom'
import type { Credential } from './api/credential.ts'
import { createApi } from './api/http.ts'
import { createLive, type LiveStatus } from './api/live.ts'
import type { Environment } from './api/types.ts'
import { AppContext, type AppContextValue } from './app-context.ts'
import { useCommitEffect } from './hooks/use-commit-effect.ts'
import { useRoute } from './hooks/use-route.ts'
import { href, type Route } from './lib/route.ts'
import { ConnectionsPage } from './pages/connections-page.tsx'
import { FlagPage } from './pages/flag-page.tsx'
import { FlagsPage } from './pages/flags-page.tsx'
import { Layout } from './pages/layout.tsx'
import { SegmentPage } from './pages/segment-page.tsx'
import { SegmentsPage } from './pages/segments-page.tsx'
import { RequestsPage } from './pages/requests-page.tsx'
import { FirstPersonOffer } from './components/first-person-offer.tsx'

/**
 * The console once a key or a person is accepted: environments, the live socket, routing.
 * `onSignedIn` switches from the admin key to the first admin person it created.
 */
export function SignedIn(props: {
  credential: Credential
  onSignedIn: (credential: Credential) => void
  onSignOut: (reason?: string) => void
}) {
  const { credential, onSignOut } = props
  const api = useMemo(
    () =>
      createApi(credential, (error) =>
        onSignOut(
          credential.kind === 'key'
            ? `Signed out: the server no longer accepts this key (${error.message}).`
            : `Signed out: your session ended (${error.message}). Sign in again.`,
        ),
      ),
    [credential],
  )
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const live = useMemo(() => createLive({ credential, onStatus: setStatus }), [credential])
  const [environments, setEnvironments] = useState<Environment[] | null>(null)
  const [loadError, setLoadError] = useState<string | undefined>(undefined)
  const { route, env: envInUrl } = useRoute()
  const [requestsTick, setRequestsTick] = useState(0)

  useCommitEffect(() => {
    api('GET', '/api/v1/environments', shapes.environmentList).then(
      (r) => setEnvironments(r.items),
      (e: Error) => setLoadError(e.message),
    )
  }, [api])

  const env = environments?.some((e) => e.key === envInUrl) ? envInUrl! : environments?.[0]?.key
  useCommitEffect(() => {
    if (env) live.watch(env)
  }, [live, env])
  useCommitEffect(() => () => live.close(), [live])

  if (loadError) return <p class="form-error page">Could not load environments: {loadError}</p>
  if (!environments || !env) return <p class="loading page">Loading…</p>

  const link = (r: Route, e = env) => href(r, e)
  const context: AppContextValue = {
    api,
    live,
    env,
    environments,
    link,
    navigate: (r, e = env) => {
      location.hash = link(r, e)
    },
    requestsTick,
    requestsChanged: () => setRequestsTick((n) => n + 1),
  }
  return (
    <AppContext.Provider value={context}>
      <Layout
        route={route}
        status={status}
        who={credential.kind === 'key' ? 'admin key' : credential.email}
        person={credential.kind === 'session'}
        onSignOut={() => {
          if (credential.kind === 'key') return onSignOut('Signed out. The key was removed from this tab.')
          // The server ends the session at once; the cookie is cleared by its answer.
          api('DELETE', '/api/v1/session', null).then(
            () => onSignOut('Signed out.'),
            (e: Error) => onSignOut(`Signed out here; the server said: ${e.message}`),
          )
        }}
      >
        {credential.kind === 'key' ? <FirstPersonOffer onSignedIn={props.onSignedIn} /> : null}
        <ErrorBoundary
          key={location.hash}
          fallbackRender={(error) => <ViewFailed error={error} />}
          onError={reportViewError}
        >
          <Page route={route} />
        </ErrorBoundary>
      </Layout>
    </AppContext.Provider>
  )
}

/** The renderer drops failed updates silently; say it on the console, where tests look. */
const reportViewError = (error: Error) =>
  console.error(`console: view failed: ${error.message}`, error)

function ViewFailed(props: { error: Error }) {
  return (
    <div class="form-error" role="alert">
      <p>This view failed: {props.error.message}</p>
      <button type="button" onClick={() => location.reload()}>
        Reload
      </button>
    </div>
  )
}

function Page(props: { route: Route }) {
  const { route } = props
  switch (route.page) {
    case 'flags':
      return <FlagsPage />
    case 'flag':
      return <FlagPage key={route.key} flagKey={route.key} />
    case 'segments':
      return <SegmentsPage />
    case 'segment':
      return <SegmentPage key={route.key ?? 'new'} segmentKey={route.key} />
    case 'connections':
      return <ConnectionsPage />
    case 'requests':
      return <RequestsPage />
  }
}
