import * as shapes from '../../../api-shapes/index.ts'
import { useCallback, useState } from 'hono/jsx/dom'
import type { ApiError } from '../api/http.ts'
import type { Connection } from '../api/types.ts'
import { useApp } from '../app-context.ts'
import { useCommitEffect } from '../hooks/use-commit-effect.ts'
import { formatRelative } from '../lib/format.ts'

const REFRESH_MS = 5000

/** The SDK as its hello named it, with its language, version and protocol when known (sdk/SPEC.md §5.1). */
function sdkText(c: Connection): string {
  if (c.sdk === null) return '(no hello yet)'
  if (!c.language) return c.protocol ? `${c.sdk} · ${c.protocol}` : c.sdk
  return `${c.language} ${c.sdkVersion} · ${c.protocol ?? 'protocol unknown'}`
}

function versionText(c: Connection, current: number | undefined): string {
  if (c.kind === 'admin') return 'console'
  const behind = (v: number) =>
    current === undefined || v >= current ? 'current' : `${current - v} behind`
  if (c.appliedVersion !== null) return `version ${c.appliedVersion} (${behind(c.appliedVersion)})`
  if (c.sentVersion !== null)
    return `sent version ${c.sentVersion} (${behind(c.sentVersion)}); applied not reported yet`
  return 'nothing yet'
}

/**
 * Flag keys this SDK asked for that its environment does not have: usually a typo. The SDK
 * warns once per key in its own log; the count lets whoever watches the console see it too.
 */
function unknownText(c: Connection): string {
  if (!c.unknownFlags) return 'none'
  const keys = `${c.unknownFlags} unknown flag ${c.unknownFlags === 1 ? 'key' : 'keys'}`
  return `${keys}: a typo? the SDK's log names each`
}

/**
 * Flags this SDK holds off because a cohort buckets in a mode it did not announce (an imported
 * cohort, an older SDK): it answers `off` for them until it is upgraded (sdk/SPEC.md §3.2).
 */
function unavailableText(c: Connection): string {
  if (c.kind !== 'server') return 'n/a'
  if (!c.unavailableFlags) return 'none'
  const flags = `${c.unavailableFlags} ${c.unavailableFlags === 1 ? 'flag' : 'flags'} off here`
  return `${flags}: upgrade this SDK to evaluate their imported cohorts`
}

/** Metrics batches the server refused (malformed counts): resending them cannot help. */
function refusedText(c: Connection): string {
  if (!c.refusedBatches) return 'none'
  return `${c.refusedBatches} refused ${c.refusedBatches === 1 ? 'batch' : 'batches'}`
}

/**
 * Which services are connected, and which version of their environment each has applied.
 * The server does not push connection changes, so this list refreshes every few seconds.
 */
export function ConnectionsPage() {
  const { api } = useApp()
  const [items, setItems] = useState<Connection[] | null>(null)
  const [versions, setVersions] = useState<Map<string, number>>(new Map())
  const [error, setError] = useState<string | undefined>(undefined)

  const load = useCallback(() => {
    Promise.all([
      api('GET', '/api/v1/connections', shapes.connectionList),
      api('GET', '/api/v1/environments', shapes.environmentList),
    ]).then(
      ([connections, environments]) => {
        setItems(connections.items)
        setVersions(new Map(environments.items.map((e) => [e.key, e.version])))
        setError(undefined)
      },
      (e: ApiError) =>
        setError(
          e.status === 403
            ? 'Connected SDKs of every environment are listed for global admin keys only; this key belongs to one environment.'
            : e.message,
        ),
    )
  }, [api])
  useCommitEffect(() => {
    load()
    const timer = setInterval(load, REFRESH_MS)
    return () => clearInterval(timer)
  }, [load])

  const now = Date.now()
  return (
    <div class="connections-page">
      <div class="page-head">
        <h1>Connected SDKs</h1>
        <button type="button" onClick={load}>
          Refresh
        </button>
      </div>
      <p class="muted">
        All environments. "Applied" is the environment version the SDK last reported; server keys
        report it, client keys get results.
      </p>
      {error ? <p class="form-error">{error}</p> : null}
      {items === null ? (
        <p class="loading">Loading connections…</p>
      ) : items.length === 0 ? (
        <p class="empty">No SDK is connected.</p>
      ) : (
        <table class="connections">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Environment</th>
              <th scope="col">SDK</th>
              <th scope="col">Applied</th>
              <th scope="col">Connected</th>
              <th scope="col">Unknown flags</th>
              <th scope="col">Unavailable flags</th>
              <th scope="col">Refused metrics</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id} data-connection={c.keyName}>
                <td data-label="Key">{c.keyName}</td>
                <td data-label="Kind">{c.kind}</td>
                <td data-label="Environment">{c.environment}</td>
                <td data-label="SDK">{sdkText(c)}</td>
                <td data-label="Applied">{versionText(c, versions.get(c.environment))}</td>
                <td data-label="Connected">{formatRelative(c.connectedAt, now)}</td>
                <td data-label="Unknown flags">{unknownText(c)}</td>
                <td data-label="Unavailable flags">{unavailableText(c)}</td>
                <td data-label="Refused metrics">{refusedText(c)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
