import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Password hashing with node's scrypt (memory-hard; OpenSSL's implementation). Stored as
 * `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url), so the cost can be raised later
 * and old hashes still verify with the parameters they were made with.
 *
 * N = 2^15, r = 8 costs 32 MiB and tens of milliseconds per hash: the OWASP password storage
 * cheat sheet's scrypt minimum is N = 2^17 with r = 8, p = 1, or an equivalent trade of N for p;
 * 2^15 with p = 3 is one of its listed equivalents in work. The async `scrypt` runs on libuv's
 * thread pool, never on the event loop.
 */
export interface ScryptCost {
  N: number
  r: number
  p: number
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 3 }

const KEY_LENGTH = 32
const SALT_BYTES = 16
/** The shortest password accepted: NIST SP 800-63B's minimum for a memorised secret chosen by a person. */
export const MIN_PASSWORD_LENGTH = 12
/** The longest: a bound on the work one request can ask for. */
export const MAX_PASSWORD_LENGTH = 1024

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; node's default cap (32 MiB) is too small for N = 2^15 with headroom.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  )
}

/** A fresh hash of `password` with a random per-user salt. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, cost)
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([\w-]{8,64})\$([\w-]{16,128})$/

/**
 * Whether `password` matches `stored`, compared in constant time. A malformed stored hash is
 * false (never a throw a sign-in could turn into a different answer).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = FORMAT.exec(stored)
  if (!match) return false
  const cost = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) }
  const expected = Buffer.from(match[5]!, 'base64url')
  const actual = await derive(password, Buffer.from(match[4]!, 'base64url'), cost)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** Why a new password is refused, naming the field (`password` unless told), or undefined when it is acceptable. */
export function passwordProblem(password: string, field = 'password'): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `${field}: at least ${MIN_PASSWORD_LENGTH} characters`
  if (password.length > MAX_PASSWORD_LENGTH) return `${field}: at most ${MAX_PASSWORD_LENGTH} characters`
  return undefined
}
