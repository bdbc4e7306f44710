import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../../server/observability/logger.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { personClient, TEST_PASSWORD_COST } from './people-client.ts'

/**
 * Passwords, session secrets and personal tokens are never logged and never answered after the
 * one answer that creates them. The server logs at debug level into a buffer (requests, changes,
 * warnings, service logs); every later answer about people, tokens and the audit log is
 * collected; neither may hold a secret, its hash, or the stored password hash.
 */

const PASSWORD = 'never-in-a-log passphrase'
const NEW_PASSWORD = 'second never-logged phrase'
const OWN_PASSWORD = 'third one, chosen by them'
const OWN_WRONG = 'a wrong current one typed'
let server: TestServer
let logs = ''
const answers: string[] = []
const secrets: Record<string, string> = {}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString()
      done()
    },
  })
  server = await startTestServer({
    logger: createLogger({ format: 'json', level: 'debug', destination: sink }),
    log: (message, error) => (logs += `${message} ${error instanceof Error ? error.stack : String(error ?? '')}\n`),
    passwordCost: TEST_PASSWORD_COST,
  })
  const created = await server.api('POST', '/api/v1/members', { email: 'leak@example.com', name: 'L', password: PASSWORD, roles: [{ environment: '*', role: 'admin' }] })
  const client = personClient(server)
  await client.signIn('leak@example.com', PASSWORD)
  secrets.session = client.cookie!.split('=')[1]!
  const token = await client.call('POST', '/api/v1/tokens', { name: 'ci' })
  secrets.token = token.json.secret
  // Use everything once more, including the failures a log might describe.
  await personClient(server).signIn('leak@example.com', `${PASSWORD} typo`)
  await personClient(server).signIn('leak@example.com', PASSWORD.slice(0, 14))
  await server.api('GET', '/api/v1/flags', undefined, secrets.token)
  await server.api('GET', '/api/v1/flags', undefined, `${secrets.token}x`)
  await server.api('PATCH', `/api/v1/members/${created.json.id}`, { password: NEW_PASSWORD })
  await server.api('POST', '/api/v1/members', { email: 'short@example.com', name: 'S', password: 'tiny' })
  // The person changes their own: once with a wrong current password, then for real.
  const self = personClient(server)
  await self.signIn('leak@example.com', NEW_PASSWORD)
  await self.call('POST', '/api/v1/session/password', { currentPassword: OWN_WRONG, newPassword: OWN_PASSWORD })
  const changed = await self.call('POST', '/api/v1/session/password', { currentPassword: NEW_PASSWORD, newPassword: OWN_PASSWORD })
  answers.push(JSON.stringify(changed.json))

  for (const [path, key] of [
    ['/api/v1/members', server.adminKey],
    [`/api/v1/members/${created.json.id}`, server.adminKey],
    ['/api/v1/audit?limit=500', server.adminKey],
    ['/api/v1/session', secrets.token],
    ['/api/v1/tokens', secrets.token],
  ] as const) {
    const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${key}` } })
    answers.push(`${path}: ${res.status} ${await res.text()}`)
  }
  const signedIn = await personClient(server).signIn('leak@example.com', OWN_PASSWORD)
  answers.push(JSON.stringify(signedIn.json))
})
afterAll(() => server.close())

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

describe('secrets after creation', () => {
  it('the run produced logs and answers to search (the test can see what it looks for)', () => {
    expect(logs).toMatch(/\/api\/v1\/session/)
    expect(answers.join('\n')).toMatch(/session\.sign_in_failed/)
    expect(answers.join('\n')).toMatch(/token\.create/)
    expect(answers.join('\n')).toMatch(/person\.password_failed/)
    expect(answers.join('\n')).toMatch(/"endedSessions":0/)
  })

  it.each([
    ['the password', () => PASSWORD],
    ['the changed password', () => NEW_PASSWORD],
    ['a password typed wrong', () => `${PASSWORD} typo`],
    ['the password a person chose', () => OWN_PASSWORD],
    ['a wrong current password', () => OWN_WRONG],
    ['a refused short password', () => 'tiny'],
    ['the session secret', () => secrets.session!],
    ['the session secret’s hash', () => sha(secrets.session!)],
    ['the personal token', () => secrets.token!],
    ['the token without its marker', () => secrets.token!.slice(4)],
    ['the token’s hash', () => sha(secrets.token!)],
    ['any stored password hash', () => 'scrypt$'],
  ])('%s is in no log line and no answer', (_name, secret) => {
    expect(logs).not.toContain(secret())
    for (const answer of answers) expect(answer).not.toContain(secret())
  })
})
