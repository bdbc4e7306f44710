import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.ts'
import { runCli } from './run-cli.ts'

/**
 * `canary users create|list` (online and offline against the database file, as keys are) and
 * `canary login`, as real child processes against a real server on loopback.
 */

const PASSWORD = 'first admin passphrase'
let server: TestServer
let config: string

beforeAll(async () => {
  server = await startTestServer()
  config = mkdtempSync(join(tmpdir(), 'canary-cli-config-'))
})
afterAll(async () => {
  await server.close()
  rmSync(config, { recursive: true, force: true })
})

describe('canary users create --db (offline)', () => {
  it('creates the first global admin in the file the running server reads, who can then sign in', async () => {
    const created = await runCli(
      ['users', 'create', '--admin', '--email', 'Root@Example.com', '--name', 'Root', '--db', server.databasePath],
      { CANARY_PASSWORD: PASSWORD },
    )
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/^created root@example.com \(global admin, id [0-9a-f-]{36}\) in /)
    expect(created.stdout + created.stderr).not.toContain(PASSWORD)
    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'root@example.com', password: PASSWORD }),
    })
    expect(signIn.status).toBe(201)
    const listed = await runCli(['users', 'list', '--db', server.databasePath], {})
    expect(listed.stdout).toMatch(/root@example\.com\s+Root\s+global admin\s+set/)
  })

  it('refuses a global admin without a password, and a duplicate email, changing nothing', async () => {
    const noPassword = await runCli(['users', 'create', '--admin', '--email', 'x@example.com', '--db', server.databasePath], {})
    expect(noPassword.code).toBe(1)
    expect(noPassword.stderr).toMatch(/needs a password to sign in: set CANARY_PASSWORD or pass --password-stdin/)
    const duplicate = await runCli(['users', 'create', '--email', 'ROOT@example.com', '--db', server.databasePath], {})
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toMatch(/email: root@example.com already belongs to a person/)
    const members = await server.api('GET', '/api/v1/members')
    expect(members.json.items.map((p: { email: string }) => p.email)).toEqual(['root@example.com'])
  })
})

describe('canary users create (online) and canary login', () => {
  it('creates an editor with an admin key, with roles from --role', async () => {
    const res = await runCli(
      ['users', 'create', '--email', 'pm@example.com', '--name', 'Pam', '--role', 'staging=editor', '--role', 'production=viewer'],
      { CANARY_URL: server.url, CANARY_KEY: server.adminKey, CANARY_PASSWORD: 'product manager passphrase' },
    )
    expect(res.stderr).toBe('')
    expect(res.stdout).toMatch(/created pm@example.com \(production: viewer, staging: editor, id /)
    const bad = await runCli(['users', 'create', '--email', 'q@example.com', '--role', 'production=owner'], { CANARY_URL: server.url, CANARY_KEY: server.adminKey })
    expect(bad.stderr).toMatch(/--role production=owner: expected ENV=ROLE with ROLE one of viewer, editor, approver, admin/)
  })

  it('login stores a personal token (owner-only file, never printed) that later commands use', async () => {
    const env = { CANARY_URL: server.url, CANARY_CONFIG_DIR: config }
    const res = await runCli(['login', '--email', 'root@example.com', '--name', 'test laptop'], { ...env, CANARY_PASSWORD: PASSWORD })
    expect(res.stderr).toBe('')
    expect(res.stdout).toMatch(/signed in to .* as root@example.com; personal token "test laptop" \(id .*\) stored in .*credentials\.json/)
    const file = join(config, 'credentials.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const token = JSON.parse(readFileSync(file, 'utf8'))[server.url].token as string
    expect(token).toMatch(/^cfp_/)
    expect(res.stdout).not.toContain(token)
    // No --key and no CANARY_KEY: the stored token answers, as the person.
    const listed = await runCli(['users', 'list'], env)
    expect(listed.stderr).toBe('')
    expect(listed.stdout).toMatch(/pm@example\.com/)
    const audit = await runCli(['audit', '--by', 'person:root@example.com'], env)
    expect(audit.stdout).toMatch(/root@example\.com/)
    // The session the login used was signed out; only the token remains.
    const signOuts = await server.api('GET', '/api/v1/audit?actor=person:root@example.com&limit=20')
    expect(signOuts.json.items.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['session.sign_in', 'token.create', 'session.sign_out']))
  })

  it('login with a wrong password says so and stores nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-cli-config-'))
    try {
      const res = await runCli(['login', '--email', 'root@example.com'], { CANARY_URL: server.url, CANARY_CONFIG_DIR: dir, CANARY_PASSWORD: 'wrong wrong wrong' })
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/401 wrong email or password/)
      expect(() => statSync(join(dir, 'credentials.json'))).toThrow()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('password: the person of the stored token changes their own password; sessions end, the token keeps working, nothing is printed', async () => {
    const env = { CANARY_URL: server.url, CANARY_CONFIG_DIR: config }
    const session = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'root@example.com', password: PASSWORD }) })
    const cookie = session.headers.getSetCookie()[0]!.split(';')[0]!
    const NEW = 'changed from the cli 2026'
    const wrong = await runCli(['password'], { ...env, CANARY_PASSWORD: 'not the password at all', CANARY_NEW_PASSWORD: NEW })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/403 Forbidden: currentPassword: not your current password/)
    const none = await runCli(['password'], env)
    expect(none.stderr).toMatch(/no passwords: set CANARY_PASSWORD \(current\) and CANARY_NEW_PASSWORD/)
    const res = await runCli(['password'], { ...env, CANARY_PASSWORD: PASSWORD, CANARY_NEW_PASSWORD: NEW })
    expect(res.stderr).toBe('')
    // This test's session and the one the offline test above signed in with.
    expect(res.stdout.trim()).toBe('password changed; 2 sessions ended')
    expect(res.stdout + res.stderr + wrong.stderr).not.toContain(NEW)
    expect((await fetch(`${server.url}/api/v1/session`, { headers: { cookie } })).status).toBe(401)
    expect((await runCli(['users', 'list'], env)).stdout).toMatch(/root@example\.com/)
    const signIn = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'root@example.com', password: NEW }) })
    expect(signIn.status).toBe(201)
  })
})
