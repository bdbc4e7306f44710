import * as zm from 'zod/mini'
import * as shapes from '../api-shapes/index.ts'
import { schemas } from './validation.ts'

/** One operation; its success body is in `responses` below. */
type Op = {
  summary: string
  body?: zm.ZodMiniType
  ok?: number
  params?: string[]
  query?: string[]
}

const snapshot = zm.object({
  environment: zm.string(),
  version: zm.number(),
  flags: zm.array(zm.object({ key: zm.string(), enabled: zm.boolean(), cohorts: zm.array(shapes.cohort), version: zm.number() })),
  segments: zm.array(shapes.segment),
})
const metricsAccepted = zm.object({ id: zm.string(), duplicate: zm.boolean(), unknownFlags: zm.optional(zm.unknown()) })
const ofrepEvaluation = zm.object({
  key: zm.string(),
  value: zm.boolean(),
  reason: zm.string(),
  variant: zm.string(),
  metadata: zm.optional(zm.record(zm.string(), zm.unknown())),
})
const ofrepBulk = zm.object({
  flags: zm.array(ofrepEvaluation),
  eventStreams: zm.optional(zm.array(zm.object({ type: zm.string(), url: zm.string() }))),
})

/** The OFREP request body (`context.targetingKey` is the `userId`; other fields are attributes). */
const ofrepRequest = zm.object({ context: zm.optional(zm.record(zm.string(), zm.unknown())) })

/** Every admin route, described once; the document below is derived from the zod schemas. */
const routes: Record<string, Record<string, Op>> = {
  '/health': { get: { summary: 'Liveness probe: {"status":"ok"}' } },
  '/api/v1/environments': {
    get: { summary: 'List environments with their current version (an environment key sees its own only)' },
    post: { summary: 'Create an environment', body: schemas.createEnvironment, ok: 201 },
  },
  '/api/v1/environments/{env}/protection': {
    put: {
      summary:
        'Protect an environment (global admin key): every change to a flag state there (on, cohorts, rollout, guard, plan start or resume) becomes a change request needing `approvals` (1-10) approvers other than its author. Turning a flag off, pausing or cancelling a plan, guard trips and plan steps are never held. Audited (environment.protect)',
      body: schemas.protection,
      params: ['env'],
    },
    delete: { summary: 'Lift the protection (global admin key); pending requests stay reviewable. Audited (environment.unprotect)', params: ['env'] },
  },
  '/api/v1/change-requests': {
    get: {
      summary: "Change requests, newest first, filtered by status (open, approved, applied, rejected, withdrawn), env and flag; an environment key: its own environment's. Paged by id cursor (before = the previous nextBefore)",
      query: ['status', 'env', 'flag', 'limit', 'before'],
    },
  },
  '/api/v1/change-requests/{id}': { get: { summary: 'One change request: the proposed change, its diff against the base version, author, approvals, comments', params: ['id'] } },
  '/api/v1/change-requests/{id}/comments': { post: { summary: 'Add a comment', body: schemas.requestComment, params: ['id'] } },
  '/api/v1/change-requests/{id}/approve': {
    post: {
      summary:
        'Approve (an approver other than the author: 403 for the author, 409 when already approved by the same identity, when closed, or when the flag changed since the request was made). The last approval needed applies it at once unless it is scheduled',
      body: schemas.requestDecision,
      params: ['id'],
    },
  },
  '/api/v1/change-requests/{id}/reject': { post: { summary: 'Reject (an approver other than the author); final', body: schemas.requestDecision, params: ['id'] } },
  '/api/v1/change-requests/{id}/withdraw': { post: { summary: 'Withdraw (its author only); final', params: ['id'] } },
  '/api/v1/change-requests/{id}/apply': {
    post: {
      summary:
        'Apply an approved request now (409 when approvals are missing, or when the flag changed since the base version: nothing is applied), or with applyAt (epoch ms, future) schedule it: applied once when the time comes and it is approved; null clears the schedule',
      body: schemas.requestApply,
      params: ['id'],
    },
  },
  '/api/v1/flags': {
    get: {
      summary:
        'List flags by key (key, description, tags, clientSide) with a per-environment summary; an environment key sees only its own environment. Keyset pages: limit 1-1000 (default 1000, so lists up to 1,000 flags come whole); nextCursor is the next page\'s cursor, null on the last page. A bad limit or cursor is 400',
      query: ['limit', 'cursor'],
    },
    post: {
      summary: 'Create a flag (off, no cohorts, in every environment; not visible to client keys unless clientSide: true)',
      body: schemas.createFlag,
      ok: 201,
    },
  },
  '/api/v1/flags/{key}': {
    get: { summary: 'Read a flag and its state in every environment (an environment key: its own only)', params: ['key'] },
    patch: {
      summary:
        'Update description, tags or clientSide (visibility to client keys, streamed to every environment). A patch that changes nothing is 400',
      body: schemas.updateFlag,
      params: ['key'],
    },
    delete: { summary: 'Archive a flag (SDKs drop it)', params: ['key'], ok: 204 },
  },
  '/api/v1/environments/{env}/flags': {
    get: {
      summary: 'Flag states of one environment by flag key, in keyset pages like GET /api/v1/flags (limit 1-1000, default 1000; cursor = the previous nextCursor)',
      params: ['env'],
      query: ['limit', 'cursor'],
    },
  },
  '/api/v1/environments/{env}/flags/{key}': {
    get: { summary: 'Read one flag state (ETag = version)', params: ['env', 'key'] },
    patch: {
      summary:
        'Turn on/off, replace cohorts, set stickiness. If-Match (a decimal version, quoted or not; anything else is 400) or body.version: a stale one is 409. A patch naming no field is 400; one asking for values the state already has is 200 with changed: false and writes nothing; cohorts over the evaluation-cost limits are 400. In a protected environment the write is held instead: 202 with {held: true, request} (a change request; nothing changes until approved) — except {enabled: false} alone (the kill switch), applied at once and audited as an emergency change',
      body: schemas.patchState,
      params: ['env', 'key'],
    },
  },
  '/api/v1/environments/{env}/flags/{key}/cohorts/{cohort}/rollout': {
    put: { summary: "Set one cohort's rollout percentage (widen). In a protected environment the write is held instead: 202 with {held: true, request} (a change request; nothing changes until approved)", body: schemas.setRollout, params: ['env', 'key', 'cohort'] },
  },
  '/api/v1/environments/{env}/segments': {
    get: { summary: 'List segments', params: ['env'] },
    post: { summary: 'Create a segment', body: schemas.segment, params: ['env'], ok: 201 },
  },
  '/api/v1/environments/{env}/segments/{key}': {
    get: { summary: 'Read a segment', params: ['env', 'key'] },
    put: { summary: 'Replace a segment (If-Match or body.version)', body: schemas.segment, params: ['env', 'key'] },
    delete: { summary: 'Delete a segment no flag uses', params: ['env', 'key'], ok: 204 },
  },
  '/api/v1/environments/{env}/evaluate': {
    post: {
      summary:
        'Evaluate a flag for a user: {flag, enabled, reason}. Admin and server keys get the detailed reason; client keys get a generic one (TARGETING_MATCH, SPLIT, DEFAULT, DISABLED, ERROR) for client-visible flags only, rate-limited per address (429 with Retry-After)',
      body: schemas.evaluate,
      params: ['env'],
    },
  },
  '/api/v1/environments/{env}/snapshot': {
    get: {
      summary:
        'All rules of an environment for SDK bootstrap (server or admin key). bucketing=unleash,launchdarkly names the cohort bucketing modes the SDK evaluates (absent = none): flags with a cohort in another mode come unavailable (off, no cohorts)',
      params: ['env'],
      query: ['bucketing'],
    },
  },
  '/api/v1/keys': {
    get: { summary: 'List API keys (never the secrets)' },
    post: { summary: 'Create a key; the secret is shown in this response only', body: schemas.createKey, ok: 201 },
  },
  '/api/v1/stream-tickets': {
    post: {
      summary:
        'A single-use ticket for the stream upgrade (admin keys and people who may read the environment; the console): valid 30 s, for this key or session and environment, dead with it. Open the socket with sub-protocols [canary-flags.v1, ticket.<ticket>] and ?env=<environment>',
      body: schemas.streamTicket,
      ok: 201,
    },
  },
  '/api/v1/keys/{id}': { delete: { summary: 'Revoke a key and close its live connections', params: ['id'] } },
  '/api/v1/session': {
    post: {
      summary:
        'Sign in with email and password: 201 with the person; the session secret is only in the httpOnly, SameSite=Strict cookie canary_session (Secure over HTTPS). Failed attempts are delayed per account and address, never locked out; 401 for an unknown email and a wrong password alike',
      body: schemas.signIn,
      ok: 201,
    },
    get: { summary: 'Who am I: the person (session cookie or personal token) or the API key; for a key, whether any person exists yet' },
    delete: { summary: 'Sign out: ends the session of the cookie at once (writes with a cookie need the X-Canary-Csrf header)', ok: 204 },
  },
  '/api/v1/session/password': {
    post: {
      summary:
        'Change your own password (a person, by session cookie or personal token): the current one is required (403 naming currentPassword when wrong, delayed like sign-ins); every other session of the person ends at once, on every replica; the session that asked stays',
      body: schemas.changePassword,
    },
  },
  '/api/v1/sso': {
    get: { summary: 'Whether single sign-on (OpenID Connect) is configured, the provider name for the sign-in button, and whether password sign-in is off (CANARY_SSO_ONLY); no key needed' },
  },
  '/api/v1/sso/start': {
    get: {
      summary:
        'Start single sign-on in a browser: 302 to the provider (authorization code with PKCE S256, state and nonce kept 10 minutes in the httpOnly cookie canary_sso); no key needed',
      ok: 302,
    },
  },
  '/api/v1/sso/callback': {
    get: {
      summary:
        "The provider's return: exchanges the code, checks state, nonce and ID token, creates or updates the person with the roles their groups map to (CANARY_OIDC_ROLES), sets the session cookie and 302s to the console. A refusal (no email, no mapped group, state mismatch, provider error) is a 400 HTML page saying why",
      query: ['code', 'state'],
      ok: 302,
    },
  },
  '/api/v1/members': {
    get: { summary: 'People and their roles per environment (global admins: people or global admin keys)' },
    post: { summary: 'Create a person with roles and optionally a password (never returned)', body: schemas.createMember, ok: 201 },
  },
  '/api/v1/members/{id}': {
    get: { summary: 'One person', params: ['id'] },
    patch: { summary: 'Change name, global admin flag, roles (replacing the list) or password (ends every session of the person)', body: schemas.updateMember, params: ['id'] },
    delete: { summary: 'Remove a person: their sessions, tokens and console streams end at once, on every replica', params: ['id'], ok: 204 },
  },
  '/api/v1/tokens': {
    get: { summary: "The signed-in person's personal API tokens (never the secrets)" },
    post: { summary: 'Create a personal token (Authorization: Bearer cfp_…); the secret is shown in this response only; it acts with the person’s roles at each use', body: schemas.createToken, ok: 201 },
  },
  '/api/v1/tokens/{id}': { delete: { summary: 'Revoke one of your personal tokens at once', params: ['id'] } },
  '/api/v1/audit': {
    get: {
      summary: "Audit log, newest first (an environment key or a person: their environments' rows only); actor = person:<email>, admin-key:<name>, guard",
      query: ['flag', 'env', 'actor', 'limit', 'before'],
    },
  },
  '/api/v1/environments/{env}/flags/{key}/guard': {
    get: { summary: "The guard's settings, current window, decision and last trip", params: ['env', 'key'] },
    put: { summary: 'Set the error-rate guard (If-Match or body.version). In a protected environment the write is held instead: 202 with {held: true, request} (a change request; nothing changes until approved)', body: schemas.guard, params: ['env', 'key'] },
    delete: { summary: 'Remove the guard (If-Match honoured). In a protected environment the write is held instead: 202 with {held: true, request} (a change request; nothing changes until approved)', params: ['env', 'key'] },
  },
  '/api/v1/environments/{env}/flags/{key}/guard/webhook-secret': {
    post: {
      summary: "Make a new webhook signing secret (shown in this answer only); the previous one keeps signing for overlapSeconds (default 86400)",
      body: schemas.webhookSecret,
      params: ['env', 'key'],
    },
  },
  '/api/v1/environments/{env}/flags/{key}/metrics': {
    get: { summary: 'Guard status plus per-minute canary/control counts', params: ['env', 'key'], query: ['hours'] },
  },
  '/api/v1/environments/{env}/flags/{key}/plan': {
    put: { summary: 'Start a rollout plan on one cohort. In a protected environment the write is held instead: 202 with {held: true, request} (a change request; nothing changes until approved)', body: schemas.plan, params: ['env', 'key'] },
  },
  '/api/v1/environments/{env}/flags/{key}/plan/preview': {
    post: { summary: 'What starting this plan would do: the steps that run, those skipped (never narrows), the plan it would replace', body: schemas.plan, params: ['env', 'key'] },
  },
  '/api/v1/environments/{env}/flags/{key}/plan/pause': {
    post: { summary: 'Pause the rollout plan: it stops widening (If-Match honoured); never held, like the kill switch', params: ['env', 'key'] },
  },
  '/api/v1/environments/{env}/flags/{key}/plan/resume': {
    post: { summary: 'Resume a paused rollout plan (If-Match honoured). In a protected environment it is held as a change request (202)', params: ['env', 'key'] },
  },
  '/api/v1/environments/{env}/flags/{key}/plan/cancel': {
    post: { summary: 'Cancel the rollout plan (If-Match honoured); never held, like the kill switch', params: ['env', 'key'] },
  },
  '/api/v1/metrics': {
    post: { summary: "SDK guard counts (server or client key): the socket's HTTP fallback", body: schemas.metrics },
  },
  '/api/v1/connections': { get: { summary: 'Connected SDKs and the flag version each has applied' } },
  '/ofrep/v1/evaluate/flags/{key}': {
    post: {
      summary:
        'OFREP 0.3.0 single evaluation (server or client key: Authorization: Bearer or X-API-Key). 200 {key, value, reason, variant: on|off, metadata?}: reason SPLIT (partial rollout), TARGETING_MATCH (full cohort, beta list), DISABLED (off), DEFAULT (no match). 400 {key, errorCode: PARSE_ERROR|INVALID_CONTEXT|TARGETING_KEY_MISSING}; 404 {key, errorCode: FLAG_NOT_FOUND} (also a flag hidden from a client key); 401/403; 429 with Retry-After (client keys)',
      body: ofrepRequest,
      params: ['key'],
    },
  },
  '/ofrep/v1/evaluate/flags': {
    post: {
      summary:
        'OFREP 0.3.0 bulk evaluation: {flags, eventStreams: [{type: sse, url, endpoint, inactivityDelaySec}]} with every flag the key may see. ETag = hash of the evaluated flags; If-None-Match with it gives 304; Access-Control-Expose-Headers: ETag. Query flagConfigEtag/flagConfigLastModified (sent after an SSE event) are accepted and ignored',
      body: ofrepRequest,
      query: ['flagConfigEtag', 'flagConfigLastModified'],
    },
  },
  '/ofrep/v1/events': {
    get: {
      summary:
        'OFREP SSE event stream (text/event-stream, URL from eventStreams; the signed token authorizes, 10 min by default; at most 2 open streams per token, 429 past it): data {type: refetchEvaluation, etag, lastModified}, id = environment version; bursts coalesced; Last-Event-ID behind the current version gives one event at once; ends when the key is revoked or the token expires. 401 for a bad, expired or revoked token; client keys: 429 over the connection limits',
      query: ['token'],
    },
  },
  '/api/v1/import/{source}': {
    post: {
      summary:
        "Import flags and segments from another product (source: unleash = client features or admin export; launchdarkly = sdk/latest-all); the body is the file as it came (at most 32 MiB). One transaction: all or nothing. Idempotent: rules already as imported are left alone. Existing flags or segments with other rules are a 409 naming them unless overwrite=true. dryRun=true answers the report and writes nothing (200). A global admin key. sourceEnvironment picks the environment of an Unleash admin export",
      params: ['source'],
      query: ['environment', 'dryRun', 'overwrite', 'sourceEnvironment'],
      ok: 201,
    },
  },
  '/api/v1/stream': {
    get: {
      summary:
        'WebSocket (sub-protocol canary-flags.v1; key in Authorization, `key.<key>` sub-protocol, a `ticket.<ticket>` sub-protocol from POST /api/v1/stream-tickets, or ?key= for SDK keys only: an admin key in the URL is refused, 401). Refusals (401, 403, 404, 429) have the same JSON body as HTTP. Client keys: connections per address are rate-limited (429), identities per connection too (close 4429). A plain GET answers 426, or 401/403 for a bad key',
    },
  },
}

/** Each operation's success body, keyed `method path`; merged into `routes` below. */
const responses: Record<string, zm.ZodMiniType | 'websocket' | 'sse'> = {
  'get /health': zm.object({ status: zm.string() }),
  'get /api/v1/environments': shapes.environmentList,
  'post /api/v1/environments': shapes.environment,
  'put /api/v1/environments/{env}/protection': shapes.environment,
  'delete /api/v1/environments/{env}/protection': shapes.environment,
  'get /api/v1/change-requests': shapes.changeRequestList,
  'get /api/v1/change-requests/{id}': shapes.changeRequest,
  'post /api/v1/change-requests/{id}/comments': shapes.changeRequest,
  'post /api/v1/change-requests/{id}/approve': shapes.changeRequest,
  'post /api/v1/change-requests/{id}/reject': shapes.changeRequest,
  'post /api/v1/change-requests/{id}/withdraw': shapes.changeRequest,
  'post /api/v1/change-requests/{id}/apply': shapes.changeRequest,
  'get /api/v1/flags': shapes.flagList,
  'post /api/v1/flags': shapes.flagDetail,
  'get /api/v1/flags/{key}': shapes.flagDetail,
  'patch /api/v1/flags/{key}': shapes.flagDefinition,
  'get /api/v1/environments/{env}/flags': shapes.flagStateList,
  'get /api/v1/environments/{env}/flags/{key}': shapes.flagState,
  'patch /api/v1/environments/{env}/flags/{key}': shapes.flagStateWrite,
  'put /api/v1/environments/{env}/flags/{key}/cohorts/{cohort}/rollout': shapes.flagState,
  'get /api/v1/environments/{env}/segments': shapes.segmentList,
  'post /api/v1/environments/{env}/segments': shapes.segment,
  'get /api/v1/environments/{env}/segments/{key}': shapes.segment,
  'put /api/v1/environments/{env}/segments/{key}': shapes.segment,
  'post /api/v1/environments/{env}/evaluate': shapes.evaluation,
  'get /api/v1/environments/{env}/snapshot': snapshot,
  'get /api/v1/keys': shapes.keyList,
  'post /api/v1/keys': shapes.createdKey,
  'post /api/v1/stream-tickets': shapes.streamTicket,
  'delete /api/v1/keys/{id}': shapes.apiKey,
  'post /api/v1/session': shapes.signedIn,
  'get /api/v1/session': shapes.whoAmI,
  'post /api/v1/session/password': shapes.passwordChanged,
  'get /api/v1/sso': shapes.ssoStatus,
  'get /api/v1/members': shapes.personList,
  'post /api/v1/members': shapes.person,
  'get /api/v1/members/{id}': shapes.person,
  'patch /api/v1/members/{id}': shapes.person,
  'get /api/v1/tokens': shapes.personalTokenList,
  'post /api/v1/tokens': shapes.createdToken,
  'delete /api/v1/tokens/{id}': shapes.personalToken,
  'get /api/v1/audit': shapes.auditPage,
  'get /api/v1/environments/{env}/flags/{key}/guard': shapes.guardReport,
  'put /api/v1/environments/{env}/flags/{key}/guard': shapes.guardSet,
  'delete /api/v1/environments/{env}/flags/{key}/guard': shapes.guardRemoved,
  'post /api/v1/environments/{env}/flags/{key}/guard/webhook-secret': shapes.webhookSecretRotated,
  'get /api/v1/environments/{env}/flags/{key}/metrics': shapes.metrics,
  'put /api/v1/environments/{env}/flags/{key}/plan': shapes.flagState,
  'post /api/v1/environments/{env}/flags/{key}/plan/preview': shapes.planPreview,
  'post /api/v1/environments/{env}/flags/{key}/plan/pause': shapes.flagState,
  'post /api/v1/environments/{env}/flags/{key}/plan/resume': shapes.flagState,
  'post /api/v1/environments/{env}/flags/{key}/plan/cancel': shapes.flagState,
  'post /api/v1/metrics': metricsAccepted,
  'get /api/v1/connections': shapes.connectionList,
  'post /ofrep/v1/evaluate/flags/{key}': ofrepEvaluation,
  'post /ofrep/v1/evaluate/flags': ofrepBulk,
  'get /ofrep/v1/events': 'sse',
  'get /api/v1/stream': 'websocket',
  'post /api/v1/import/{source}': shapes.importResult,
}

/** The success response of one operation: its JSON schema, a stream, or no body (204). */
function success(method: string, path: string, op: Op): object {
  const shape = responses[`${method} ${path}`]
  if (op.ok === 204) return { description: 'No content' }
  if (op.ok === 302) return { description: 'Found: a redirect (Location), for browsers' }
  if (shape === 'sse') return { description: 'Server-sent events', content: { 'text/event-stream': {} } }
  if (shape === 'websocket') return { description: 'Switching protocols (WebSocket)' }
  if (!shape) return { description: 'OK' }
  return {
    description: 'OK',
    content: { 'application/json': { schema: zm.toJSONSchema(shape, { io: 'output', unrepresentable: 'any' }) } },
  }
}

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
}

/** The OpenAPI 3.1 document served at `/api/v1/openapi.json` . */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'canary-flags admin API', version: '1' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key, or a personal token (cfp_…)' },
        session: { type: 'apiKey', in: 'cookie', name: 'canary_session', description: 'The console’s session; writes also need the X-Canary-Csrf header' },
      },
      schemas: { Error: errorSchema },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: Object.fromEntries(
      Object.entries(routes).map(([path, ops]) => [
        path,
        Object.fromEntries(
          Object.entries(ops).map(([method, op]) => [
            method,
            {
              summary: op.summary,
              parameters: [
                ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
                ...(op.query ?? []).map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
              ],
              ...(op.body && {
                requestBody: {
                  required: true,
                  content: { 'application/json': { schema: zm.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }) } },
                },
              }),
              responses: {
                [op.ok ?? (responses[`${method} ${path}`] === 'websocket' ? 101 : 200)]: success(method, path, op),
                default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
              },
            },
          ]),
        ),
      ]),
    ),
  }
}
