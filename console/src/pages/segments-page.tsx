import { useApp } from '../app-context.ts'
import { useSegments } from '../hooks/use-segments.ts'

/** The segments of the environment: reusable audiences that cohorts refer to by name. */
export function SegmentsPage() {
  const { link, env, environments } = useApp()
  const { segments, error } = useSegments()
  return (
    <div class="segments-page">
      <div class="page-head">
        <h1>Segments</h1>
        <a class="button primary" href={link({ page: 'segment', key: null })}>
          New segment
        </a>
      </div>
      <p class="muted">
        Segments of {environments.find((e) => e.key === env)?.name ?? env}: named audiences (user
        ids and/or conditions), edited once and used by many flags.
      </p>
      {error ? <p class="form-error">{error}</p> : null}
      {segments === null ? (
        <p class="loading">Loading segments…</p>
      ) : segments.length === 0 ? (
        <p class="empty">No segments yet.</p>
      ) : (
        <table class="segments">
          <thead>
            <tr>
              <th scope="col">Segment</th>
              <th scope="col">Users</th>
              <th scope="col">Conditions</th>
            </tr>
          </thead>
          <tbody>
            {segments.map((s) => (
              <tr key={s.key}>
                <td data-label="Segment">
                  <a href={link({ page: 'segment', key: s.key })}>{s.key}</a>
                  {s.description ? <div class="muted">{s.description}</div> : null}
                </td>
                <td data-label="Users">{s.userIds.length}</td>
                <td data-label="Conditions">{s.conditions.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
