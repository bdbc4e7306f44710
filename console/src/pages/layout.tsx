import type { Child } from 'hono/jsx/dom'
import type { LiveStatus } from '../api/live.ts'
import { useApp } from '../app-context.ts'
import { valueOf } from '../components/field.tsx'
import { PasswordChange } from '../components/password-change.tsx'
import type { Route } from '../lib/route.ts'

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'offline, reconnecting',
}

/** Header (navigation, environment, live status, who is signed in and sign out) around the current page. */
export function Layout(props: {
  route: Route
  status: LiveStatus
  /** The signed-in person's email, or `admin key`. */
  who: string
  /** A person signed in with a session: the menu offers to change their password. */
  person: boolean
  onSignOut: () => void
  children: Child
}) {
  const { env, environments, link, navigate } = useApp()
  const section =
    props.route.page === 'flag'
      ? 'flags'
      : props.route.page === 'segment'
        ? 'segments'
        : props.route.page
  const nav = (page: 'flags' | 'segments' | 'connections' | 'requests', label: string) => (
    <a href={link({ page })} aria-current={section === page ? 'page' : undefined}>
      {label}
    </a>
  )
  return (
    <div class="layout">
      <header class="top">
        <a class="brand" href={link({ page: 'flags' })}>
          canary-flags
        </a>
        <nav aria-label="Main">
          {nav('flags', 'Flags')}
          {nav('segments', 'Segments')}
          {nav('connections', 'Connected SDKs')}
          {nav('requests', 'Change requests')}
        </nav>
        <div class="env-picker">
          <label for="environment">Environment</label>
          <select
            id="environment"
            value={env}
            onChange={(e: Event) => navigate(props.route, valueOf(e))}
          >
            {environments.map((e) => (
              <option value={e.key} selected={e.key === env}>
                {e.name}
              </option>
            ))}
          </select>
          {environments.length === 1 ? (
            <span class="muted env-only" title="This key sees no other environment">
              only environment of this key
            </span>
          ) : null}
        </div>
        <span class={`live live-${props.status}`} role="status" aria-live="polite">
          {STATUS_TEXT[props.status]}
        </span>
        <div class="user-menu">
          <span class="muted" data-testid="signed-in-as">
            {props.who}
          </span>
          {props.person ? <PasswordChange /> : null}
          <button type="button" class="link" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main class="page">{props.children}</main>
    </div>
  )
}
